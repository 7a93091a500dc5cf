import Foundation
import PFlowMockServerCore
import PFlowSpec
import Testing

@testable import PFlowEngine

@Suite("HTTP transport: limits, redirects, configuration")
struct HTTPTransportTests {
    private let environment = ["PFLOW_TEST_KEY": testKey]

    @Test func manyRequestsToOneHostRunAtOnce() async throws {
        try await withMockServer { server in
            let provider = try OpenAIProvider(
                spec: providerSpec(.openai, baseURL: server.baseURL), environment: environment)
            let width = 64
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<width {
                    group.addTask { _ = await failure(of: provider, completionRequest("[mock:hang step=w\(index)]")) }
                }
                // URLSession's default of 6 connections per host would stall this at 6.
                let allInFlight = await eventually { server.stats().inFlight == width }
                #expect(allInFlight, "peak in flight: \(server.stats().peakInFlight)")
                group.cancelAll()
                try await group.waitForAll()
            }
            #expect(await eventually { server.stats().cancelled == width })
        }
    }

    @Test func anAlreadyCancelledTaskSendsNothingAndReturns() async throws {
        try await withMockServer { server in
            let provider = try OpenAIProvider(
                spec: providerSpec(.openai, baseURL: server.baseURL), environment: environment)
            let call = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await failure(of: provider, completionRequest("[mock:hang] never"))
            }
            #expect(await call.value?.kind == .cancelled)
        }
    }

    @Test func bodiesPastTheCapAreRefused() async throws {
        try await withMockServer { server in
            let transport = try HTTPTransport(.init(maxResponseBytes: 64 << 10))
            let provider = try OpenAIProvider(
                spec: providerSpec(.openai, baseURL: server.baseURL), environment: environment, transport: transport)
            let error = try #require(await failure(of: provider, completionRequest("[mock:huge=1MB]")))
            #expect(error.kind == .invalidResponse)
            #expect(error.message.contains("larger than 64 KiB"))
            #expect(await failure(of: provider, completionRequest("small")) == nil)
        }
    }

    @Test func aTwoGigabyteBodyIsCutOffAtTheDefaultCap() async throws {
        try await withMockServer { server in
            let provider = try OpenAIProvider(
                spec: providerSpec(.openai, baseURL: server.baseURL), environment: environment)
            let error = try #require(await failure(of: provider, completionRequest("[mock:huge=2GB]")))
            #expect(error.kind == .invalidResponse)
            #expect(error.message.contains("larger than 16 MiB"))
            #expect(await eventually { server.records().first?.disconnected == true }, "\(server.records())")
        }
    }

    @Test func connectionRefusedIsAConnectionError() async throws {
        let stopped = try await MockServer.start(MockServerConfiguration(threads: 1))
        let baseURL = stopped.baseURL
        try await stopped.stop()
        let provider = try OpenAIProvider(spec: providerSpec(.openai, baseURL: baseURL), environment: environment)
        let error = try #require(await failure(of: provider, completionRequest("hello")))
        #expect(error.kind == .connection)
        #expect(error.isRetryable)
        #expect(error.message.contains("connection refused"), "\(error.message)")
    }

    @Test func redirectsAreNotFollowedSoTheKeyStaysHome() async throws {
        try await withMockServer(host: "127.0.0.2") { elsewhere in
            try await withMockServer { server in
                let spec = providerSpec(.openai, baseURL: server.baseURL + "/v1")
                let provider = try OpenAIProvider(spec: spec, environment: environment)
                let target = elsewhere.baseURL + "/v1/chat/completions"
                let error = try #require(
                    await failure(of: provider, completionRequest("[mock:redirect=\(target)?token=abc] follow me")))
                #expect(error.kind == .client)
                #expect(error.httpStatus == 307)
                #expect(error.message.contains("redirected (HTTP 307) to \(target);"), "\(error.message)")
                #expect(!error.message.contains("token=abc"))
                #expect(server.records().first?.authorization == true)
                #expect(elsewhere.records().isEmpty)
            }
        }
    }

    @Test func keyOverPlainHTTPToARemoteHostIsRefused() throws {
        let spec = providerSpec(.openai, baseURL: "http://llm.example.com/v1")
        #expect {
            try OpenAIProvider(spec: spec, environment: environment)
        } throws: { error in
            let error = error as? ProviderError
            return error?.kind == .configuration && error?.message.contains("allow_insecure") == true
        }
        let allowed = providerSpec(.openai, baseURL: "http://llm.example.com/v1", allowInsecure: true)
        #expect(throws: Never.self) { try OpenAIProvider(spec: allowed, environment: environment) }
        let loopback = providerSpec(.anthropic, baseURL: "http://localhost:8080")
        #expect(throws: Never.self) { try AnthropicProvider(spec: loopback, environment: environment) }
        let keyless = providerSpec(.openai, baseURL: "http://llm.example.com/v1", apiKeyEnv: nil)
        #expect(throws: Never.self) { try OpenAIProvider(spec: keyless, environment: [:]) }
    }

    @Test func missingKeyVariableIsNamed() throws {
        #expect {
            try makeHTTPProvider(for: providerSpec(.anthropic, baseURL: nil), environment: [:])
        } throws: { error in
            let error = error as? ProviderError
            return error?.kind == .configuration && error?.message.contains("PFLOW_TEST_KEY") == true
        }
    }

    @Test(arguments: ["ftp://example.com", "not a url", "https://"])
    func unusableBaseURLIsAConfigurationError(_ baseURL: String) throws {
        #expect {
            try makeHTTPProvider(for: providerSpec(.openai, baseURL: baseURL), environment: environment)
        } throws: { error in
            (error as? ProviderError)?.kind == .configuration
        }
    }

    @Test func mockKindIsNotAnHTTPProvider() {
        #expect(throws: ProviderError.self) {
            try makeHTTPProvider(for: providerSpec(.mock, baseURL: nil), environment: [:])
        }
    }
}

@Suite("Retry-After parsing")
struct RetryAfterTests {
    private let now = Date(timeIntervalSince1970: 1_445_412_480)  // Wed, 21 Oct 2015 07:28:00 GMT

    @Test(arguments: [
        ("2", Duration.seconds(2)), ("0", .zero), ("1.5", .milliseconds(1500)), (" 30 ", .seconds(30)),
        ("Wed, 21 Oct 2015 07:28:10 GMT", .seconds(10)), ("Wednesday, 21-Oct-15 07:28:05 GMT", .seconds(5)),
        ("Wed Oct 21 07:28:03 2015", .seconds(3)), ("Wed, 21 Oct 2015 07:00:00 GMT", .zero),
    ])
    func parses(_ value: String, _ expected: Duration) {
        #expect(RetryAfter.parse(value, now: now) == expected)
    }

    @Test(arguments: ["soon", "", "-5", "inf"])
    func rejectsGarbage(_ value: String) {
        #expect(RetryAfter.parse(value, now: now) == nil)
    }

    @Test func hugeValuesAreClampedNotOverflowed() {
        #expect(RetryAfter.parse("1e300", now: now) == .seconds(365 * 24 * 3600))
        #expect(RetryAfter.parse("1e9", now: now) == .seconds(365 * 24 * 3600))
        #expect(RetryAfter.parse("3600", now: now) == .seconds(3600))
    }

    @Test func openAIsMillisecondHeaderWins() {
        let both = HTTPResponse(status: 429, headers: ["retry-after-ms": "250", "Retry-After": "2"], body: Data())
        #expect(RetryAfter.of(both, now: now) == .milliseconds(250))
        let seconds = HTTPResponse(status: 429, headers: ["retry-after": "2"], body: Data())
        #expect(RetryAfter.of(seconds, now: now) == .seconds(2))
        let garbage = HTTPResponse(status: 429, headers: ["retry-after-ms": "soon", "Retry-After": "1"], body: Data())
        #expect(RetryAfter.of(garbage, now: now) == .seconds(1))
    }
}

@Suite("Server error text")
struct ServerErrorTextTests {
    @Test(arguments: [
        (#"{"error":{"message":"Bad key","type":"invalid_request_error"}}"#, "invalid_request_error: Bad key"),
        (
            #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            "overloaded_error: Overloaded"
        ),
        (#"{"error":"model not loaded"}"#, "model not loaded"),
        (#"{"detail":"Not Found"}"#, "Not Found"),
        ("upstream connect error\nsecond line", "upstream connect error"),
        ("<html><head><title>502 Bad Gateway</title></head><body>x</body></html>", "HTML page: 502 Bad Gateway"),
        ("<!DOCTYPE html><html><body>\n<h1>Service down</h1></body></html>", "HTML page: Service down"),
        ("bell\u{07} and\ttab", "bell and tab"),
    ])
    func extractsOneReadableLine(_ body: String, _ expected: String) {
        #expect(ServerErrorText.extract(from: Data(body.utf8), contentType: nil) == expected)
    }

    @Test func truncatesLongMessages() {
        let text = ServerErrorText.extract(from: Data(String(repeating: "x", count: 5000).utf8), contentType: nil)
        #expect(text.count == ServerErrorText.limit)
        #expect(text.hasSuffix("…"))
    }
}
