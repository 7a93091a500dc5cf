import Foundation
import PFlowSpec

/// Talks to the Anthropic Messages API (`POST /v1/messages`).
///
/// Why separate from OpenAI: the system prompt is a top-level field, the key travels in
/// `x-api-key` with a pinned `anthropic-version`, and the answer is a list of content blocks.
public struct AnthropicProvider: LLMProvider {
    /// The API version pflow's request and response shapes are written against.
    public static let apiVersion = "2023-06-01"

    private let endpoint: HTTPEndpoint
    /// The provider entry enables `output_format` (a beta: the entry's headers must carry
    /// the `anthropic-beta` value that turns it on).
    private let structuredOutputs: Bool

    public init(
        spec: ProviderSpec, environment: [String: String], transport: HTTPTransport? = nil, baseDirectory: String = ".",
        expectedConcurrency: Int = 1
    ) throws(ProviderError) {
        var spec = spec
        if spec.headers.keys.allSatisfy({ $0.lowercased() != "anthropic-version" }) {
            spec.headers["anthropic-version"] = Self.apiVersion
        }
        endpoint = try HTTPEndpoint(
            spec: spec, environment: environment, apiName: "Anthropic", path: "/v1/messages", transport: transport,
            baseDirectory: baseDirectory, expectedConcurrency: expectedConcurrency
        ) { key in ("x-api-key", key) }
        structuredOutputs = spec.structuredOutputs
    }

    public func complete(_ request: CompletionRequest) async throws(ProviderError) -> CompletionResponse {
        let response = try await endpoint.post(Data(Self.body(of: request, structuredOutputs: structuredOutputs).utf8))
        let message = try endpoint.decode(MessagesResponse.self, from: response)
        // Thinking blocks come first and are not the answer; their tokens are in output_tokens.
        let text = message.content.filter { $0.type == "text" }.compactMap(\.text).joined()
        // Anthropic counts cache reads and writes beside `input_tokens`, not in them: the
        // input is their sum, so a run's token count means the same for both APIs.
        let cacheRead = message.usage?.cache_read_input_tokens
        let input =
            (message.usage?.input_tokens ?? 0) + (cacheRead ?? 0) + (message.usage?.cache_creation_input_tokens ?? 0)
        let usage = TokenUsage(
            inputTokens: input, outputTokens: message.usage?.output_tokens ?? 0, cachedInputTokens: cacheRead)
        var answer = CompletionResponse(
            text: text, usage: usage, model: message.model, httpStatus: response.status,
            finishReason: message.stop_reason.map(FinishReason.init))
        answer.rateLimit = RateLimitStatus(response)
        return try answer.checked(for: request, host: endpoint.host)
    }
}

extension AnthropicProvider {
    /// The request's JSON body.
    static func body(of request: CompletionRequest, structuredOutputs: Bool = false) -> String {
        JSONWriter.line { json in
            json.add("model", request.model)
            json.add("max_tokens", request.maxTokens)
            json.add("system", request.system.flatMap { $0.isEmpty ? nil : $0 })
            json.beginArray("messages")
            json.addConversation(of: request)
            json.endArray()
            json.add("temperature", request.temperature)
            if let budget = request.thinkingBudget {
                json.beginObject("thinking")
                json.add("type", "enabled")
                json.add("budget_tokens", budget)
                json.endObject()
            }
            if structuredOutputs, case .json(let schema?) = request.answerFormat {
                json.beginObject("output_format")
                json.add("type", "json_schema")
                json.addEncoded("schema", schema.wireValue.compactText)
                json.endObject()
            }
        }
    }
}

// Field names follow the wire format, hence the snake_case.
private struct MessagesResponse: Decodable {
    struct Block: Decodable {
        var type: String
        var text: String?
    }

    struct Usage: Decodable {
        var input_tokens: Int?
        var output_tokens: Int?
        var cache_read_input_tokens: Int?
        var cache_creation_input_tokens: Int?
    }

    var model: String?
    var content: [Block]
    var stop_reason: String?
    var usage: Usage?
}
