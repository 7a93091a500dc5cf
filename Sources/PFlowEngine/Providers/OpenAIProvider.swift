import Foundation
import PFlowSpec

/// Talks to any OpenAI-compatible `/chat/completions` endpoint.
///
/// Why one provider for many servers: OpenAI, vLLM, Ollama, llama.cpp, LiteLLM and
/// OpenRouter all accept this request shape; only `base_url`, the key, extra headers and
/// the name of the output-limit field differ.
public struct OpenAIProvider: LLMProvider {
    private let endpoint: HTTPEndpoint
    private let maxTokensField: ProviderSpec.MaxTokensField?
    /// The server takes `response_format: json_schema`; without it a JSON step asks for `json_object`.
    private let structuredOutputs: Bool

    public init(
        spec: ProviderSpec, environment: [String: String], transport: HTTPTransport? = nil, baseDirectory: String = ".",
        expectedConcurrency: Int = 1
    ) throws(ProviderError) {
        endpoint = try HTTPEndpoint(
            spec: spec, environment: environment, apiName: "OpenAI", path: "/chat/completions", transport: transport,
            baseDirectory: baseDirectory, expectedConcurrency: expectedConcurrency
        ) { key in ("Authorization", "Bearer \(key)") }
        maxTokensField = spec.maxTokensField
        structuredOutputs = spec.structuredOutputs
    }

    public func complete(_ request: CompletionRequest) async throws(ProviderError) -> CompletionResponse {
        let field = maxTokensField ?? Self.defaultMaxTokensField(host: endpoint.host, model: request.model)
        let response = try await endpoint.post(
            Data(Self.body(of: request, maxTokensField: field, structuredOutputs: structuredOutputs).utf8))
        let completion = try endpoint.decode(ChatCompletion.self, from: response)
        guard let choice = completion.choices.first else {
            throw endpoint.invalidResponse("has an empty 'choices' list", response)
        }
        let usage = TokenUsage(
            inputTokens: completion.usage?.prompt_tokens ?? 0, outputTokens: completion.usage?.completion_tokens ?? 0,
            reasoningTokens: completion.usage?.completion_tokens_details?.reasoning_tokens,
            cachedInputTokens: completion.usage?.prompt_tokens_details?.cached_tokens)
        var answer = CompletionResponse(
            text: choice.message.content?.text ?? "", usage: usage, model: completion.model,
            httpStatus: response.status, finishReason: choice.finish_reason.map(FinishReason.init))
        answer.rateLimit = RateLimitStatus(response)
        return try answer.checked(for: request, host: endpoint.host)
    }

    /// OpenAI's own API (and Azure's) wants `max_completion_tokens`, and its reasoning
    /// models refuse `max_tokens`; most other OpenAI-compatible servers still read only
    /// `max_tokens`. A model of a reasoning family is served by OpenAI or a proxy of it.
    static func defaultMaxTokensField(host: String, model: String) -> ProviderSpec.MaxTokensField {
        let host = host.lowercased()
        if host == "api.openai.com" || host.hasSuffix(".openai.azure.com") { return .maxCompletionTokens }
        return isReasoningModel(model) ? .maxCompletionTokens : .maxTokens
    }

    /// The o-series and the gpt-5 family, which take `reasoning_effort` and only the default temperature.
    static func isReasoningModel(_ model: String) -> Bool {
        let name = model.lowercased().split(separator: "/").last.map(String.init) ?? ""
        return ["o1", "o3", "o4", "gpt-5"].contains { family in
            name == family || name.hasPrefix(family + "-") || name.hasPrefix(family + ".")
        }
    }
}

extension OpenAIProvider {
    /// The request's JSON body. `temperature` only when the workflow sets it; a JSON step's
    /// `response_format` is `json_schema` only where the provider says the server takes it.
    static func body(
        of request: CompletionRequest, maxTokensField: ProviderSpec.MaxTokensField, structuredOutputs: Bool = false
    ) -> String {
        JSONWriter.line { json in
            json.add("model", request.model)
            json.beginArray("messages")
            if let system = request.system, !system.isEmpty { json.addMessage(role: "system", content: system) }
            json.addConversation(of: request)
            json.endArray()
            json.add(maxTokensField.rawValue, request.maxTokens)
            json.add("temperature", request.temperature)
            json.add("reasoning_effort", request.reasoningEffort?.rawValue)
            if case .json(let schema) = request.answerFormat {
                json.beginObject("response_format")
                if let schema, structuredOutputs {
                    json.add("type", "json_schema")
                    json.beginObject("json_schema")
                    json.add("name", "answer")
                    json.add("strict", schema.isStrictCompatible)
                    json.addEncoded("schema", schema.wireValue.compactText)
                    json.endObject()
                } else {
                    json.add("type", "json_object")
                }
                json.endObject()
            }
        }
    }
}

// Field names follow the wire format, hence the snake_case.
private struct ChatCompletion: Decodable {
    struct Choice: Decodable {
        var message: Message
        var finish_reason: String?
    }

    struct Message: Decodable {
        var content: Content?
    }

    /// A string, or (newer servers, some proxies) an array of parts whose text parts are
    /// joined in order.
    struct Content: Decodable {
        var text: String

        struct Part: Decodable {
            var type: String?
            var text: String?
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let string = try? container.decode(String.self) {
                text = string
            } else {
                let parts = try container.decode([Part].self)
                text = parts.filter { $0.type == nil || $0.type == "text" || $0.type == "output_text" }
                    .compactMap(\.text).joined()
            }
        }
    }

    struct Usage: Decodable {
        struct CompletionDetails: Decodable {
            var reasoning_tokens: Int?
        }

        /// Part of `prompt_tokens`, not beside them.
        struct PromptDetails: Decodable {
            var cached_tokens: Int?
        }

        var prompt_tokens: Int?
        var prompt_tokens_details: PromptDetails?
        var completion_tokens: Int?
        var completion_tokens_details: CompletionDetails?
    }

    var model: String?
    var choices: [Choice]
    var usage: Usage?
}
