import Foundation
import PFlowMockServerCore
import Testing

/// `tokens_per_minute` and the server's rate-limit headers, against pflow-mock-server
/// enforcing 6,000 tokens a minute; the 429s are counted by the server.
@Suite("Rate limits against pflow-mock-server")
struct RateLimitE2ETests {
    /// Sixty branches of 108 tokens as the server counts them (a 30-byte prompt and
    /// `max_tokens: 100`): a little more than the server's 6,000 a minute.
    static let fan =
        """
          - parallel:
              id: fan
              repeat: 60
              step:
                provider: limited
                max_tokens: 100
                prompt: "[mock:step=fan] Vote, briefly."
        """

    static func providers(_ server: MockServerProcess, limit: String) -> String {
        """
          limited:
            kind: openai
            model: tpm-test
            base_url: \(server.baseURL)/v1
            api_key_env: \(ServerWorkflow.keyVariable)
            \(limit)
        """
    }

    static let retrying = """
          retries: 6
          backoff: { initial: 100ms, max: 2s }
        """

    @Test func aDeclaredTokenLimitGetsNo429() async throws {
        try await withMockServerProcess(args: ["--tpm", "6000"]) { server in
            let workflow = try ServerWorkflow(
                "tpm", server: server, providers: Self.providers(server, limit: "tokens_per_minute: 6000"),
                defaults: Self.retrying, steps: Self.fan)
            defer { workflow.remove() }
            let result = try await workflow.run(["--quiet"])
            #expect(result.exitCode == 0, "\(result.stdout)\(result.stderr)")
            let stats = try await server.stats()
            #expect(stats.rateLimited == 0)
            #expect(stats.requests == 60)
        }
    }

    /// Without the declared limit the first wave (all sixty sent at once, some 6,480 tokens
    /// as the server counts them) overruns the server by four or five requests; their 429s
    /// and the headers pause the provider and teach it the limit, so no retry runs into the
    /// same wall: the run succeeds after those few 429s. (With the headers ignored, the
    /// retries collided: 15 429s measured.)
    @Test func theServersHeadersPauseTheProviderAfterTheFirst429() async throws {
        try await withMockServerProcess(args: ["--tpm", "6000"]) { server in
            let workflow = try ServerWorkflow(
                "headers", server: server, providers: Self.providers(server, limit: ""), defaults: Self.retrying,
                steps: Self.fan)
            defer { workflow.remove() }
            let result = try await workflow.run(["--quiet"])
            #expect(result.exitCode == 0, "\(result.stdout)\(result.stderr)")
            let stats = try await server.stats()
            #expect(stats.rateLimited >= 1)
            #expect(stats.rateLimited <= 7)
            #expect(stats.requests == 60 + stats.rateLimited)
        }
    }
}
