import Foundation
import PFlowMockServerCore
import Testing

/// The real `pflow` binary against the real `pflow-mock-server`: every claim is checked from
/// what the server saw (concurrency, request counts, disconnects), never from timings.
@Suite("pflow run against pflow-mock-server")
struct RunE2ETests {
    static let key = "sk-e2e-7c1d-SECRET-4242"

    /// Writes `steps` under a header whose providers point at `server`, runs it, and hands
    /// back the process result and the run directory.
    private func run(
        _ name: String, server: MockServerProcess, defaults: String = ServerWorkflow.quickDefaults,
        providers: String = "", steps: String,
        extraArguments: [String] = []
    ) async throws -> (ProcessResult, RunOutput?) {
        let workflow = try ServerWorkflow(
            name, server: server, key: Self.key, providers: providers, defaults: defaults, steps: steps)
        defer { workflow.remove() }
        let result = try await workflow.run(extraArguments)
        return (result, try? workflow.output())
    }

    @Test func parallelBranchesOverlap() async throws {
        try await withMockServerProcess { server in
            let (result, _) = try await run(
                "overlap", server: server,
                steps: """
                      - parallel:
                          id: fan
                          steps:
                    \((0..<5).map { "        - { id: b\($0), prompt: \"[mock:step=b\($0) latency=500ms] go\" }" }.joined(separator: "\n"))
                    """)
            #expect(result.exitCode == 0, "\(result.stderr)")
            let stats = try await server.stats()
            #expect(stats.requests == 5)
            #expect(stats.peakInFlight == 5)
        }
    }

    @Test func rateLimitIsRetriedAndStopsAtTheLimit() async throws {
        try await withMockServerProcess { server in
            let (result, output) = try await run(
                "limited", server: server,
                steps: """
                      - id: recovers
                        retries: 3
                        prompt: "[mock:step=recovers fail-first=2 status=429 retry-after=1] go"
                      - id: exhausts
                        retries: 2
                        prompt: "[mock:step=exhausts status=429 retry-after=1] go"
                    """)
            #expect(result.exitCode == 1, "\(result.stderr)")
            let stats = try await server.stats()
            #expect(stats.byStep["recovers"]?.requests == 3)
            #expect(stats.byStep["recovers"]?.statuses["200"] == 1)
            #expect(stats.byStep["exhausts"]?.requests == 3)
            let record = try #require(try output?.step("exhausts"))
            let attempts = try #require(record["attempts"] as? [[String: Any]])
            #expect(attempts.count == 3)
            // Retry-After (1 s) wins over the 10 ms backoff.
            for attempt in attempts.dropFirst() {
                #expect((attempt["delay_before_seconds"] as? Double ?? 0) >= 1)
            }
            #expect((record[path: "error", "kind"] as? String) == "rate_limited")
        }
    }

    @Test func unauthorizedIsNotRetriedAndNeverLeaksTheKey() async throws {
        try await withMockServerProcess { server in
            let (result, output) = try await run(
                "auth", server: server,
                steps: """
                      - id: denied
                        retries: 3
                        prompt: "[mock:step=denied status=401 echo-auth] go"
                    """)
            #expect(result.exitCode == 1)
            #expect(try await server.stats().byStep["denied"]?.requests == 1)
            let record = try #require(try output?.step("denied"))
            let message = try #require(record[path: "error", "message"] as? String)
            #expect(message.contains("PFLOW_E2E_KEY"))
            #expect(message.contains("Incorrect API key provided"))
            let everything = [result.stdout, result.stderr] + (output.map { Array($0.files.values) } ?? [])
            for text in everything {
                #expect(!text.contains(Self.key))
            }
        }
    }

    @Test func providerMaxConcurrencyIsNeverExceeded() async throws {
        try await withMockServerProcess { server in
            let (result, _) = try await run(
                "throttled", server: server,
                providers: """
                      narrow:
                        kind: openai
                        model: narrow-model
                        base_url: \(server.baseURL)/v1
                        api_key_env: PFLOW_E2E_KEY
                        max_concurrency: 2
                    """,
                steps: """
                      - parallel:
                          id: many
                          repeat: 8
                          step:
                            provider: narrow
                            prompt: "[mock:latency=200ms] item"
                    """)
            #expect(result.exitCode == 0, "\(result.stderr)")
            let narrow = try #require(try await server.stats().byModel["narrow-model"])
            #expect(narrow.requests == 8)
            #expect(narrow.peakInFlight <= 2)
        }
    }

    @Test func aFailureCancelsRunningSiblings() async throws {
        try await withMockServerProcess { server in
            // The witness keeps the run going, so the siblings' connections can only close
            // before it ends if pflow cancelled them, not because pflow exited.
            let (result, _) = try await run(
                "failfast", server: server,
                steps: """
                      - parallel:
                          id: outer
                          min_success: 1
                          steps:
                            - { id: witness, prompt: "[mock:step=witness latency=1500ms] go" }
                            - parallel:
                                id: all_or_nothing
                                steps:
                                  - { id: broken, prompt: "[mock:step=broken latency=200ms status=400] go" }
                                  - { id: slow1, prompt: "[mock:step=slow1 hang] go" }
                                  - { id: slow2, prompt: "[mock:step=slow2 hang] go" }
                                  - { id: slow3, prompt: "[mock:step=slow3 hang] go" }
                    """)
            #expect(result.exitCode == 0, "\(result.stderr)")
            let log = try await server.log()
            let witnessEnd = try #require(log.first { $0.step == "witness" }?.end)
            for sibling in ["slow1", "slow2", "slow3"] {
                let record = try #require(log.first { $0.step == sibling })
                #expect(record.disconnected)
                #expect(record.end < witnessEnd, "\(sibling) was still open when the witness answered")
            }
        }
    }

    @Test func errorBodiesOfBothAPIsEndAsReadableErrors() async throws {
        try await withMockServerProcess { server in
            let (result, maybeOutput) = try await run(
                "errors", server: server,
                steps: """
                      - parallel:
                          id: failures
                          min_success: 1
                          steps:
                            - { id: ok, provider: claude, prompt: "fine" }
                            - { id: openai_500, prompt: "[mock:status=500] go" }
                            - { id: anthropic_529, provider: claude, prompt: "[mock:status=529] go" }
                            - { id: proxy_html, prompt: "[mock:html] go" }
                            - { id: garbage, provider: claude, prompt: "[mock:malformed] go" }
                            - { id: too_big, prompt: "[mock:huge=20MB] go" }
                    """)
            #expect(result.exitCode == 0, "\(result.stderr)")
            let output = try #require(maybeOutput)
            #expect(try output.stepOutput("ok").contains("Mock answer to \"fine\""))
            let expected = [
                "openai_500": "The server had an error",
                "anthropic_529": "overloaded_error: The server is overloaded",
                "proxy_html": "HTML page: 502 Bad Gateway",
                "garbage": "is not valid JSON",
                "too_big": "larger than 16 MiB",
            ]
            for (id, fragment) in expected {
                let message = try output.step(id)[path: "error", "message"] as? String
                #expect(message?.contains(fragment) == true, "\(id): \(message ?? "no error")")
            }
        }
    }

    @Test func aBodyThatNeverEndsHitsTheStepTimeout() async throws {
        try await withMockServerProcess { server in
            let (result, output) = try await run(
                "stalled", server: server,
                steps: """
                      - id: stuck
                        timeout: 500ms
                        on_timeout: fail
                        prompt: "[mock:step=stuck stall] go"
                    """)
            #expect(result.exitCode == 1)
            #expect(!result.timedOut)
            #expect((try output?.step("stuck"))?[path: "error", "kind"] as? String == "timeout")
            var stats = try await server.stats()
            for _ in 0..<300 where stats.cancelled < 1 {
                try await Task.sleep(for: .milliseconds(10))
                stats = try await server.stats()
            }
            #expect(stats.byStep["stuck"]?.cancelled == 1)
        }
    }

    @Test func connectionRefusedIsRetriedThenReported() async throws {
        let gone = try await MockServerProcess.start()
        await gone.stop()
        try await withMockServerProcess { server in
            let (result, output) = try await run(
                "refused", server: server,
                providers: """
                      nowhere:
                        kind: openai
                        model: m
                        base_url: \(gone.baseURL)/v1
                    """,
                steps: """
                      - id: unreachable
                        provider: nowhere
                        retries: 1
                        prompt: go
                    """)
            #expect(result.exitCode == 1)
            let record = try #require(try output?.step("unreachable"))
            #expect((record["attempts"] as? [Any])?.count == 2)
            #expect(record[path: "error", "kind"] as? String == "connection")
            #expect((record[path: "error", "message"] as? String)?.contains("connection refused") == true)
        }
    }
}
