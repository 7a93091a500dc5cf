import Foundation
import PFlowMockServerCore
import PFlowSpec
import Testing

@testable import PFlowEngine

@Suite("AnthropicProvider against the mock server")
struct AnthropicProviderTests {
    private let environment = ["PFLOW_TEST_KEY": testKey]

    private func provider(_ server: MockServer, baseURL: String? = nil) throws -> AnthropicProvider {
        try AnthropicProvider(
            spec: providerSpec(.anthropic, baseURL: baseURL ?? server.baseURL), environment: environment)
    }

    /// The body is written by hand, so its exact shape is checked here.
    @Test func requestBodyHasTheWireShape() throws {
        let request = completionRequest("say \"hi\"\n", system: "Analyst.")
        let body = try #require(
            try JSONSerialization.jsonObject(with: Data(AnthropicProvider.body(of: request).utf8)) as? NSDictionary)
        let expected: NSDictionary = [
            "model": "test-model", "max_tokens": 100, "temperature": 0.2, "system": "Analyst.",
            "messages": [["role": "user", "content": "say \"hi\"\n"]],
        ]
        #expect(body == expected)
        let bare = try #require(
            try JSONSerialization.jsonObject(
                with: Data(AnthropicProvider.body(of: completionRequest("x", system: "")).utf8))
                as? [String: Any])
        #expect(bare["system"] == nil)
    }

    @Test func parsesTextBlocksAndUsage() async throws {
        try await withMockServer { server in
            let response = try await provider(server).complete(completionRequest("Scan the press", system: "Analyst."))
            #expect(response.text.hasPrefix("Mock answer to \"Scan the press\""))
            #expect(response.usage.inputTokens > 0)
            #expect(response.usage.outputTokens > 0)
            #expect(response.model == "test-model")
            let record = try #require(server.records().first)
            #expect(record.path == "/v1/messages")
            #expect(record.api == "anthropic")
            // The mock refuses requests without anthropic-version, so a 200 proves it was sent.
            #expect(record.status == 200)
            #expect(record.authorization)
        }
    }

    @Test func baseURLEndingInV1IsNotDoubled() async throws {
        try await withMockServer { server in
            _ = try await provider(server, baseURL: server.baseURL + "/v1/").complete(completionRequest("hi"))
            #expect(server.records().first?.path == "/v1/messages")
        }
    }

    @Test func overloadedIsAServerErrorWithTheServersMessage() async throws {
        try await withMockServer { server in
            let error = try #require(await failure(of: provider(server), completionRequest("[mock:status=529]")))
            #expect(error.kind == .server)
            #expect(error.httpStatus == 529)
            #expect(error.message.contains("overloaded_error: The server is overloaded"))
        }
    }

    @Test func rateLimitWithHTTPDateInTheFuture() async throws {
        try await withMockServer { server in
            let error = try #require(
                await failure(of: provider(server), completionRequest("[mock:status=429 retry-after-date=30]")))
            #expect(error.kind == .rateLimited)
            #expect(error.message.contains("rate_limit_error"))
            let retryAfter = try #require(error.retryAfter)
            #expect(retryAfter > .seconds(20) && retryAfter <= .seconds(31))
        }
    }

    @Test func rateLimitWithHTTPDateInThePastMeansNow() async throws {
        try await withMockServer { server in
            let error = try #require(
                await failure(of: provider(server), completionRequest("[mock:status=429 retry-after-date=-60]")))
            #expect(error.retryAfter == .zero)
        }
    }

    @Test func unauthorizedNamesTheVariable() async throws {
        try await withMockServer { server in
            let error = try #require(
                await failure(of: provider(server), completionRequest("[mock:status=401 echo-auth]")))
            #expect(error.kind == .client)
            #expect(error.message.contains("authentication_error"))
            #expect(error.message.contains("PFLOW_TEST_KEY"))
            #expect(!error.description.contains(testKey))
        }
    }

    @Test func noTextBlockIsAnEmptyOutput() async throws {
        try await withMockServer { server in
            let error = try #require(await failure(of: provider(server), completionRequest("[mock:empty-choices]")))
            #expect(error.kind == .emptyOutput)
            #expect(error.message.contains("returned an empty answer: finish reason end_turn"), "\(error.message)")
            #expect(error.isRetryable)
        }
    }

    @Test func wrongShapeNamesTheMissingField() async throws {
        try await withMockServer { server in
            let error = try #require(await failure(of: provider(server), completionRequest("[mock:wrong-shape]")))
            #expect(error.kind == .invalidResponse)
            #expect(error.message.contains("has no 'content'"))
        }
    }
}
