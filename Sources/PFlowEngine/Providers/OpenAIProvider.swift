import Foundation
import PFlowSpec

/// Talks to any OpenAI-compatible `/chat/completions` endpoint.
///
/// Why one provider for many servers: OpenAI, vLLM, Ollama, llama.cpp, LiteLLM and
/// OpenRouter all accept this request shape; only `base_url`, the key and extra headers differ.
public struct OpenAIProvider: LLMProvider {
    private let endpoint: HTTPEndpoint

    public init(
        spec: ProviderSpec, environment: [String: String], transport: HTTPTransport = .shared
    ) throws(ProviderError) {
        endpoint = try HTTPEndpoint(
            spec: spec, environment: environment, apiName: "OpenAI", path: "/chat/completions", transport: transport
        ) { key in ("Authorization", "Bearer \(key)") }
    }

    public func complete(_ request: CompletionRequest) async throws(ProviderError) -> CompletionResponse {
        let response = try await endpoint.post(Data(Self.body(of: request).utf8))
        let completion = try endpoint.decode(ChatCompletion.self, from: response)
        guard let choice = completion.choices.first else {
            throw endpoint.invalidResponse("has an empty 'choices' list", response)
        }
        guard let text = choice.message.content else {
            let reason = choice.finish_reason.map { " (finish_reason: \($0))" } ?? ""
            throw endpoint.invalidResponse("has no text in 'choices[0].message.content'\(reason)", response)
        }
        let usage = TokenUsage(
            inputTokens: completion.usage?.prompt_tokens ?? 0, outputTokens: completion.usage?.completion_tokens ?? 0)
        return CompletionResponse(text: text, usage: usage, model: completion.model, httpStatus: response.status)
    }
}

extension OpenAIProvider {
    /// The request's JSON body.
    static func body(of request: CompletionRequest) -> String {
        JSONWriter.line { json in
            json.add("model", request.model)
            json.beginArray("messages")
            if let system = request.system, !system.isEmpty { json.addMessage(role: "system", content: system) }
            json.addMessage(role: "user", content: request.prompt)
            json.endArray()
            json.add("max_tokens", request.maxTokens)
            json.add("temperature", request.temperature)
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
        var content: String?
    }

    struct Usage: Decodable {
        var prompt_tokens: Int?
        var completion_tokens: Int?
    }

    var model: String?
    var choices: [Choice]
    var usage: Usage?
}
