import Foundation
import PFlowMockServerCore
import PFlowSpec
import Testing

@testable import PFlowEngine

@Suite("Plain-HTTP client: warm connections, the cap, the URLSession path")
struct PlainHTTPClientTests {
    private let environment = ["PFLOW_TEST_KEY": testKey]

    private func provider(_ server: MockServer, transport: HTTPTransport = .shared) throws -> OpenAIProvider {
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

    @Test func aConnectionTheServerClosedIsNotReused() async throws {
        let first = try await MockServer.start(MockServerConfiguration(threads: 1))
        let port = first.port
        let transport = HTTPTransport.shared
        _ = try await provider(first, transport: transport).complete(completionRequest("before the restart"))
        try await first.stop()
        let second = try await MockServer.start(MockServerConfiguration(port: port, threads: 1))
        do {
            let response = try await provider(second, transport: transport).complete(completionRequest("after"))
            #expect(response.httpStatus == 200)
            #expect(second.stats().connections == 1)
            try await second.stop()
        } catch {
            try? await second.stop()
            throw error
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
            let provider = try provider(server, transport: HTTPTransport(maxResponseBytes: 64 << 10))
            let error = try #require(await failure(of: provider, completionRequest("[mock:huge=2GB]")))
            #expect(error.message.contains("larger than 64 KiB"))
            #expect(await eventually { server.records().first?.disconnected == true })
            _ = try await provider.complete(completionRequest("small"))
            #expect(server.stats().connections == 2)
        }
    }

    @Test func theURLSessionPathStillServesPlainHTTP() async throws {
        try await withMockServer { server in
            let transport = HTTPTransport(maxResponseBytes: 64 << 10, urlSessionForPlainHTTP: true)
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
