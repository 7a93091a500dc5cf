import Foundation
import PFlowMockServerCore
import PFlowSpec
import Testing

@testable import PFlowEngine

@Suite("OpenAIProvider against the mock server")
struct OpenAIProviderTests {
    private let environment = ["PFLOW_TEST_KEY": testKey]

    private func provider(_ server: MockServer) throws -> OpenAIProvider {
        try OpenAIProvider(spec: providerSpec(.openai, baseURL: server.baseURL + "/v1"), environment: environment)
    }

    @Test func parsesContentAndUsage() async throws {
        try await withMockServer { server in
            let response = try await provider(server).complete(completionRequest("Summarise Acme", system: "Be brief."))
            #expect(response.text.hasPrefix("Mock answer to \"Summarise Acme\""))
            #expect(response.usage.inputTokens > 0)
            #expect(response.usage.outputTokens > 0)
            #expect(response.model == "test-model")
            #expect(response.httpStatus == 200)
            let record = try #require(server.records().first)
            #expect(record.path == "/v1/chat/completions")
            #expect(record.authorization)
        }
    }

    /// The body is written by hand, so its exact shape is checked here.
    @Test func requestBodyHasTheWireShape() throws {
        let request = completionRequest("say \"hi\"\n", system: "Be brief.")
        let body = try #require(
            try JSONSerialization.jsonObject(
                with: Data(OpenAIProvider.body(of: request, maxTokensField: .maxTokens).utf8)) as? NSDictionary)
        let expected: NSDictionary = [
            "model": "test-model", "max_tokens": 100, "temperature": 0.2,
            "messages": [["role": "system", "content": "Be brief."], ["role": "user", "content": "say \"hi\"\n"]],
        ]
        #expect(body == expected)
        let bare = try #require(
            try JSONSerialization.jsonObject(
                with: Data(OpenAIProvider.body(of: completionRequest("x", system: ""), maxTokensField: .maxTokens).utf8)
            )
                as? [String: Any])
        #expect((bare["messages"] as? [[String: String]]) == [["role": "user", "content": "x"]])
    }

    @Test func textWithJSONSpecialCharactersRoundTrips() async throws {
        try await withMockServer { server in
            let line = "Quote \" backslash \\ tab \t bell \u{07} snow ☃ \u{1F600}"
            let response = try await provider(server).complete(completionRequest(line + "\nsecond line"))
            #expect(response.text.hasPrefix("Mock answer to \"\(line)\""))
        }
    }

    @Test func sendsNoKeyWhenNoneIsConfigured() async throws {
        try await withMockServer { server in
            let spec = providerSpec(.openai, baseURL: server.baseURL, apiKeyEnv: nil)
            _ = try await OpenAIProvider(spec: spec, environment: [:]).complete(completionRequest("hello"))
            let record = try #require(server.records().first)
            #expect(record.path == "/chat/completions")
            #expect(!record.authorization)
        }
    }

    @Test func rateLimitCarriesRetryAfter() async throws {
        try await withMockServer { server in
            let error = try #require(
                await failure(of: provider(server), completionRequest("[mock:status=429 retry-after=2]")))
            #expect(error.kind == .rateLimited)
            #expect(error.httpStatus == 429)
            #expect(error.retryAfter == .seconds(2))
            #expect(error.isRetryable)
            #expect(error.message.contains("Rate limit reached"))
        }
    }

    @Test func serverErrorIsRetryable() async throws {
        try await withMockServer { server in
            let error = try #require(await failure(of: provider(server), completionRequest("[mock:status=500]")))
            #expect(error.kind == .server)
            #expect(error.httpStatus == 500)
            #expect(error.isRetryable)
            #expect(error.retryAfter == nil)
            #expect(error.message.contains("The server had an error"))
            let unavailable = try #require(
                await failure(of: provider(server), completionRequest("[mock:status=503 retry-after=3]")))
            #expect(unavailable.kind == .server)
            #expect(unavailable.retryAfter == .seconds(3))
            for status in [408, 409] {
                let transient = try #require(
                    await failure(of: provider(server), completionRequest("[mock:status=\(status)]")))
                #expect(transient.isRetryable, "HTTP \(status)")
            }
            let badRequest = try #require(await failure(of: provider(server), completionRequest("[mock:status=422]")))
            #expect(!badRequest.isRetryable)
        }
    }

    @Test func unauthorizedNamesTheVariableNotTheKey() async throws {
        try await withMockServer { server in
            let error = try #require(
                await failure(of: provider(server), completionRequest("[mock:status=401 echo-auth]")))
            #expect(error.kind == .client)
            #expect(!error.isRetryable)
            #expect(error.message.contains("PFLOW_TEST_KEY"))
            #expect(error.message.contains("Incorrect API key provided"))
            #expect(error.message.contains("[redacted]"))
            #expect(!error.description.contains(testKey))
        }
    }

    @Test func failFirstThenSucceeds() async throws {
        try await withMockServer { server in
            let provider = try provider(server)
            let request = completionRequest("[mock:fail-first=2 status=503] flaky")
            #expect(await failure(of: provider, request)?.kind == .server)
            #expect(await failure(of: provider, request)?.kind == .server)
            #expect(await failure(of: provider, request) == nil)
        }
    }

    struct BadResponse: Sendable, CustomTestStringConvertible {
        var directive: String
        var kind: ProviderError.Kind
        var fragment: String
        var testDescription: String { directive }
    }

    @Test(arguments: [
        BadResponse(directive: "[mock:malformed]", kind: .invalidResponse, fragment: "is not valid JSON"),
        BadResponse(directive: "[mock:wrong-shape]", kind: .invalidResponse, fragment: "has no 'choices'"),
        BadResponse(directive: "[mock:empty-choices]", kind: .invalidResponse, fragment: "empty 'choices' list"),
        BadResponse(directive: "[mock:html]", kind: .server, fragment: "HTML page: 502 Bad Gateway"),
        BadResponse(directive: "[mock:html status=404]", kind: .client, fragment: "HTML page: 404 Not Found"),
        BadResponse(directive: "[mock:reset]", kind: .connection, fragment: "127.0.0.1"),
        BadResponse(directive: "[mock:huge=20MB]", kind: .invalidResponse, fragment: "larger than 16 MiB"),
    ])
    func unusableResponsesBecomeReadableErrors(_ bad: BadResponse) async throws {
        try await withMockServer { server in
            let error = try #require(await failure(of: provider(server), completionRequest("\(bad.directive) go")))
            #expect(error.kind == bad.kind)
            #expect(error.message.contains(bad.fragment), "\(error.message)")
            #expect(!error.message.contains("<"))
            #expect(error.message.count < 500)
        }
    }

    @Test(arguments: ["[mock:hang]", "[mock:stall]", "[mock:slow-headers=60s]", "[mock:slow-body=60s]"])
    func cancellingAStuckRequestClosesTheConnection(_ directive: String) async throws {
        try await withMockServer { server in
            let provider = try provider(server)
            let call = Task { await failure(of: provider, completionRequest("\(directive) wait forever")) }
            #expect(await eventually { server.stats().inFlight == 1 })
            call.cancel()
            let error = await call.value
            #expect(error?.kind == .cancelled)
            #expect(await eventually { server.records().first?.disconnected == true })
            #expect(server.stats().cancelled == 1)
        }
    }

    @Test func keyIsNeverInAnyErrorMessage() async throws {
        try await withMockServer { server in
            let provider = try provider(server)
            let directives = [
                "[mock:status=401 echo-auth]", "[mock:status=403 echo-auth]", "[mock:status=429 echo-auth]",
                "[mock:status=500 echo-auth]", "[mock:status=400 echo-auth]", "[mock:malformed]", "[mock:html]",
                "[mock:reset]",
            ]
            for directive in directives {
                let error = try #require(await failure(of: provider, completionRequest(directive)))
                #expect(!error.description.contains(testKey), "\(directive)")
                #expect(!error.description.contains("SECRET"), "\(directive)")
            }
        }
    }
}
