import Foundation
import PFlowMockServerCore
import PFlowSpec
import Testing

@testable import PFlowEngine

@Suite("HTTP connection pool: warm connections, no silent resend, the cap, the URLSession path")
struct HTTPConnectionPoolTests {
    private let environment = ["PFLOW_TEST_KEY": testKey]

    private func provider(_ server: MockServer, transport: HTTPTransport? = nil) throws -> OpenAIProvider {
        try OpenAIProvider(
            spec: providerSpec(.openai, baseURL: server.baseURL + "/v1"), environment: environment, transport: transport
        )
    }

    @Test func sequentialRequestsShareOneConnection() async throws {
        try await withMockServer { server in
            let provider = try provider(server)
            for index in 0..<5 {
                _ = try await provider.complete(completionRequest("question \(index)"))
            }
            #expect(server.stats().requests == 5)
            #expect(server.stats().connections == 1)
        }
    }

    @Test func aSecondWaveReusesTheFirstWavesConnections() async throws {
        try await withMockServer { server in
            let provider = try provider(server)
            let width = 16
            for wave in 0..<2 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<width {
                        group.addTask {
                            _ = try await provider.complete(completionRequest("[mock:latency=50ms] \(wave).\(index)"))
                        }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(server.stats().requests == 2 * width)
            #expect(server.stats().connections == width)
        }
    }

    /// A pooled connection the server closed (here: a restart) is either noticed before the
    /// next request, which then goes on a new connection, or the request fails as a
    /// retryable connection error that the engine retries as a recorded attempt. It is never
    /// resent behind the engine's back once written (a second billed call that no attempt
    /// record shows), and the request after it always works.
    @Test func aConnectionTheServerClosedFailsRetryablyOrIsReplacedNeverSilentlyResent() async throws {
        let first = try await MockServer.start(MockServerConfiguration(threads: 1))
        let port = first.port
        let transport = try HTTPTransport(.init())
        _ = try await provider(first, transport: transport).complete(completionRequest("before the restart"))
        try await first.stop()
        let second = try await MockServer.start(MockServerConfiguration(port: port, threads: 1))
        do {
            let provider = try provider(second, transport: transport)
            if let error = await failure(of: provider, completionRequest("[mock:step=after] after")) {
                #expect(error.kind == .connection && error.isRetryable, "\(error)")
            }
            #expect(second.records().count <= 1)
            _ = try await provider.complete(completionRequest("[mock:step=next] next"))
            try await second.stop()
        } catch {
            try? await second.stop()
            throw error
        }
    }

    /// The server reads the whole request on a pooled connection and closes it without
    /// answering. The request reached the server, so the client must not send it again on
    /// its own: the engine decides, and records the retry as an attempt.
    @Test func aRequestTheServerDroppedAfterReadingIsNotResentByTheClient() async throws {
        try await withMockServer { server in
            let provider = try provider(server)
            _ = try await provider.complete(completionRequest("warm the pool"))
            let error = try #require(await failure(of: provider, completionRequest("[mock:drop step=dropped] x")))
            #expect(error.kind == .connection && error.isRetryable, "\(error)")
            #expect(server.stats().byStep["dropped"]?.requests == 1)
            _ = try await provider.complete(completionRequest("after the reset"))
        }
    }

    /// Cancellations that race the end of an exchange (the answer is in, the task is
    /// leaving) must not leave a connection in the pool that fails the next request as
    /// `cancelled`.
    @Test func cancellationsRacingTheEndOfExchangesNeverPoisonThePool() async throws {
        try await withMockServer { server in
            let provider = try provider(server)
            for index in 0..<200 {
                let call = Task { try await provider.complete(completionRequest("[mock:step=race] \(index)")) }
                if index % 2 == 0 { await Task.yield() }
                call.cancel()
                _ = await call.result
                let error = await failure(of: provider, completionRequest("[mock:step=after] \(index)"))
                #expect(error == nil, "request after cancellation \(index) failed: \(String(describing: error))")
                if error != nil { break }
            }
        }
    }

    @Test func anErrorStatusKeepsTheConnectionWarm() async throws {
        try await withMockServer { server in
            let provider = try provider(server)
            #expect(await failure(of: provider, completionRequest("[mock:status=503] busy"))?.kind == .server)
            _ = try await provider.complete(completionRequest("fine"))
            #expect(server.stats().connections == 1)
        }
    }

    @Test func aBodyPastTheCapClosesTheConnectionAndTheNextRequestWorks() async throws {
        try await withMockServer { server in
            let provider = try provider(server, transport: try HTTPTransport(.init(maxResponseBytes: 64 << 10)))
            let error = try #require(await failure(of: provider, completionRequest("[mock:huge=2GB]")))
            #expect(error.message.contains("larger than 64 KiB"))
            #expect(await eventually { server.records().first?.disconnected == true })
            _ = try await provider.complete(completionRequest("small"))
            #expect(server.stats().connections == 2)
        }
    }

    @Test func theURLSessionPathStillServesPlainHTTP() async throws {
        try await withMockServer { server in
            let transport = try HTTPTransport(.init(client: .urlsession, maxResponseBytes: 64 << 10))
            let provider = try provider(server, transport: transport)
            let response = try await provider.complete(completionRequest("through URLSession"))
            #expect(response.text.hasPrefix("Mock answer to \"through URLSession\""))
            let error = try #require(await failure(of: provider, completionRequest("[mock:huge=1MB]")))
            #expect(error.message.contains("larger than 64 KiB"))
            let redirected = try #require(
                await failure(of: provider, completionRequest("[mock:redirect=http://127.0.0.2:9/v1] go")))
            #expect(redirected.httpStatus == 307)
        }
    }
}
