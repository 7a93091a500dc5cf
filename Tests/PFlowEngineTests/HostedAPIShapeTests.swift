import Foundation
import PFlowSpec
import Testing

@testable import PFlowEngine

/// Requests as hosted APIs expect them and answers as they really come back; pure
/// functions, no server.
@Suite("Hosted API request and answer shapes")
struct HostedAPIShapeTests {
    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func openAIGetsMaxCompletionTokensAndNoTemperatureUnlessSet() throws {
        let request = CompletionRequest(
            model: "gpt-5-mini", system: nil, prompt: "x", maxTokens: 64, stepID: "s", attempt: 1)
        let body = try json(OpenAIProvider.body(of: request, maxTokensField: .maxCompletionTokens))
        #expect(body["max_completion_tokens"] as? Int == 64)
        #expect(body["max_tokens"] == nil && body["temperature"] == nil && body["reasoning_effort"] == nil)
        var tuned = request
        tuned.temperature = 1
        tuned.reasoningEffort = .high
        let tunedBody = try json(OpenAIProvider.body(of: tuned, maxTokensField: .maxTokens))
        #expect(tunedBody["max_tokens"] as? Int == 64 && tunedBody["temperature"] as? Double == 1)
        #expect(tunedBody["reasoning_effort"] as? String == "high")
    }

    @Test(arguments: [
        ("api.openai.com", "gpt-4o-mini", ProviderSpec.MaxTokensField.maxCompletionTokens),
        ("my-deploy.openai.azure.com", "gpt-4o", .maxCompletionTokens),
        ("127.0.0.1", "gpt-5-mini", .maxCompletionTokens),
        ("openrouter.ai", "openai/o3-mini", .maxCompletionTokens),
        ("localhost", "llama3:8b", .maxTokens),
        ("api.together.xyz", "gpt-oss-120b", .maxTokens),
        ("localhost", "o1x", .maxTokens),
    ])
    func theOutputLimitFieldFollowsTheServerAndTheModel(
        _ host: String, _ model: String, _ expected: ProviderSpec.MaxTokensField
    ) {
        #expect(OpenAIProvider.defaultMaxTokensField(host: host, model: model) == expected)
    }

    @Test func anthropicThinkingIsSentAsABudget() throws {
        let request = CompletionRequest(
            model: "claude", system: nil, prompt: "x", maxTokens: 4096, thinkingBudget: 2048, stepID: "s", attempt: 1)
        let body = try json(AnthropicProvider.body(of: request))
        #expect((body["thinking"] as? [String: Any])?["budget_tokens"] as? Int == 2048)
        #expect((body["thinking"] as? [String: Any])?["type"] as? String == "enabled")
        #expect(body["temperature"] == nil)
    }

    @Test func anEmptyAnswerIsATypedFailureThatKeepsItsUsage() throws {
        let request = CompletionRequest(model: "m", system: nil, prompt: "x", maxTokens: 10, stepID: "s", attempt: 1)
        let spent = CompletionResponse(
            text: "", usage: TokenUsage(inputTokens: 5, outputTokens: 10, reasoningTokens: 10),
            finishReason: FinishReason("length"))
        #expect {
            try spent.checked(for: request, host: "h")
        } throws: { error in
            let error = error as? ProviderError
            return error?.kind == .emptyOutput && error?.isRetryable == false && error?.usage?.outputTokens == 10
                && error?.message.contains("raise max_tokens") == true
        }
        let glitch = CompletionResponse(text: "", usage: TokenUsage(), finishReason: FinishReason("stop"))
        #expect {
            try glitch.checked(for: request, host: "h")
        } throws: { error in
            (error as? ProviderError).map { $0.kind == .emptyOutput && $0.isRetryable } ?? false
        }
    }

    @Test func aTruncatedAnswerFailsUnlessTheStepAcceptsIt() throws {
        var request = CompletionRequest(model: "m", system: nil, prompt: "x", maxTokens: 10, stepID: "s", attempt: 1)
        let cut = CompletionResponse(
            text: "{\"a\": [1, 2", usage: TokenUsage(), finishReason: FinishReason("max_tokens"))
        #expect {
            try cut.checked(for: request, host: "h")
        } throws: { error in
            let error = error as? ProviderError
            return error?.kind == .truncated && error?.message.contains("on_truncated: accept") == true
        }
        request.onTruncated = .accept
        #expect(try cut.checked(for: request, host: "h").text == "{\"a\": [1, 2")
    }

    @Test func loneSurrogatesBecomeTheReplacementCharacter() throws {
        let body = Data(#"{"t":"a\ud800b \udc00 ok \ud83d\ude00 \\ud800 \"\ud800\""}"#.utf8)
        let repaired = try #require(JSONSurrogates.replacingLoneSurrogates(in: body))
        let object = try #require(try JSONSerialization.jsonObject(with: repaired) as? [String: String])
        #expect(object["t"] == "a\u{FFFD}b \u{FFFD} ok 😀 \\ud800 \"\u{FFFD}\"")
        #expect(JSONSurrogates.replacingLoneSurrogates(in: Data(#"{"t":"fine \ud83d\ude00"}"#.utf8)) == nil)
    }

    @Test func aRefusedParameterIsNamedWithItsFix() {
        let body = Data(
            #"{"error":{"message":"Unsupported parameter","type":"invalid_request_error","param":"max_tokens","code":"unsupported_parameter"}}"#
                .utf8)
        #expect(
            UnsupportedParameter.fix(in: body, provider: "gpt")?.contains("max_tokens_field: max_completion_tokens")
                == true)
        let temperature = Data(#"{"error":{"param":"temperature","code":"unsupported_value"}}"#.utf8)
        #expect(UnsupportedParameter.fix(in: temperature, provider: "gpt")?.contains("remove temperature") == true)
        #expect(UnsupportedParameter.fix(in: Data("nope".utf8), provider: "gpt") == nil)
    }
}

@Suite("Proxy settings from the environment")
struct ProxySettingsTests {
    private let target = URL(string: "https://api.openai.com/v1/chat/completions") ?? URL(fileURLWithPath: "/")

    @Test func httpsTargetsUseHTTPSProxyLowerCaseFirst() throws {
        let proxy = try ProxySettings.forURL(
            target, environment: ["HTTPS_PROXY": "http://upper:1", "https_proxy": "http://user:p%40ss@proxy.corp:3128"])
        #expect(
            proxy == ProxySettings(host: "proxy.corp", port: 3128, credentials: .init(user: "user", password: "p@ss")))
        #expect(try ProxySettings.forURL(target, environment: ["HTTP_PROXY": "http://p:1"]) == nil)
        #expect(try ProxySettings.forURL(target, environment: ["ALL_PROXY": "p:8080"])?.port == 8080)
    }

    @Test(arguments: [
        ("api.openai.com", true), (".openai.com", true), ("openai.com", true), ("*.openai.com", true),
        ("*", true), ("api.openai.com:443", true), ("api.openai.com:8443", false), ("other.com, ai.com", false),
        ("", false),
    ])
    func noProxyMatchesHostsAndTheirSubdomains(_ noProxy: String, _ bypass: Bool) throws {
        let proxy = try ProxySettings.forURL(target, environment: ["HTTPS_PROXY": "http://p:1", "NO_PROXY": noProxy])
        #expect((proxy == nil) == bypass)
    }

    @Test(arguments: ["https://p:1", "socks5://p:1", "http://"])
    func anUnusableProxyIsAConfigurationErrorNotABypass(_ value: String) {
        #expect {
            try ProxySettings.forURL(target, environment: ["HTTPS_PROXY": value])
        } throws: { error in
            (error as? ProviderError)?.kind == .configuration
                && (error as? ProviderError)?.message.contains("HTTPS_PROXY") == true
        }
    }
}
