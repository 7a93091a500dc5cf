import Foundation
import Testing

/// Failing and hostile servers through the real binary: each failure ends as a typed,
/// readable error in steps/<id>.json, the block's `min_success` absorbs it, and pflow
/// neither crashes nor hangs. The providers' own tests cover the parsing; these prove the
/// engine's policies are applied to what they report.
@Suite("pflow run against failing and hostile servers")
struct HostileServerE2ETests {
    struct Case: Sendable, CustomTestStringConvertible {
        var id: String
        var prompt: String
        var kind: String
        var fragment: String
        /// Requests the server must have seen: retries happen only for retryable errors.
        var requests: Int
        var testDescription: String { id }
    }

    /// Every step has `retries: 1` and a 1 s attempt timeout.
    static let cases: [Case] = [
        Case(id: "reset", prompt: "[mock:step=reset reset]", kind: "connection", fragment: "127.0.0.1", requests: 2),
        Case(
            id: "endless", prompt: "[mock:step=endless stall]", kind: "timeout", fragment: "no answer within",
            requests: 2),
        Case(
            id: "invalid", prompt: "[mock:step=invalid malformed]", kind: "invalid_response",
            fragment: "is not valid JSON", requests: 1),
        Case(
            id: "shape", prompt: "[mock:step=shape wrong-shape]", kind: "invalid_response",
            fragment: "has no 'choices'", requests: 1),
        Case(
            id: "empty", prompt: "[mock:step=empty empty-choices]", kind: "invalid_response",
            fragment: "empty 'choices'", requests: 1),
        Case(
            id: "html", prompt: "[mock:step=html html]", kind: "server", fragment: "HTML page: 502 Bad Gateway",
            requests: 2),
        Case(
            id: "storm", prompt: "[mock:step=storm status=429]", kind: "rate_limited",
            fragment: "rate limited the request", requests: 2),
        Case(
            id: "loris", prompt: "[mock:step=loris slow-headers=3s]", kind: "timeout", fragment: "no answer within",
            requests: 2),
    ]

    @Test func everyFailureIsATypedErrorAndTheBlockPolicyAbsorbsIt() async throws {
        let refused = try await MockServerProcess.start()
        await refused.stop()
        try await withMockServerProcess { server in
            let branches = Self.cases.map { "        - { id: \($0.id), prompt: \"\($0.prompt) go\" }" }
            let workflow = try ServerWorkflow(
                "hostile", server: server,
                providers: """
                      gone:
                        kind: openai
                        model: m
                        base_url: \(refused.baseURL)/v1
                        api_key_env: \(ServerWorkflow.keyVariable)
                    """,
                defaults: """
                      retries: 1
                      timeout: 1s
                      backoff: { initial: 10ms, max: 50ms }
                    """,
                steps: """
                      - parallel:
                          id: hostile
                          min_success: 1
                          steps:
                            - { id: fine, prompt: "[mock:step=fine] go" }
                            - { id: refused, provider: gone, prompt: "go" }
                    \(branches.joined(separator: "\n"))
                      - id: after
                        prompt: "[mock:step=after] failed: {{ steps.hostile.failed }}"
                    """)
            defer { workflow.remove() }
            let result = try await workflow.run()
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(!result.timedOut)
            let output = try workflow.output()
            let stats = try await server.stats()
            for testCase in Self.cases {
                let record = try output.step(testCase.id)
                #expect(record[path: "error", "kind"] as? String == testCase.kind, "\(testCase.id): \(record)")
                let message = record[path: "error", "message"] as? String ?? ""
                #expect(message.contains(testCase.fragment), "\(testCase.id): \(message)")
                #expect(!message.contains("<"), "\(testCase.id): markup in \(message)")
                #expect(stats.byStep[testCase.id]?.requests == testCase.requests, "\(testCase.id)")
            }
            let refusedRecord = try output.step("refused")
            #expect(refusedRecord[path: "error", "kind"] as? String == "connection", "\(refusedRecord)")
            // The 429s had no Retry-After: the wait before the retry is the step's backoff.
            let storm = try output.step("storm")["attempts"] as? [[String: Any]] ?? []
            let delay = storm.last?["delay_before_seconds"] as? Double ?? -1
            #expect(delay >= 0.01 && delay <= 0.05, "backoff \(delay)")
            // The policy was applied: the block succeeded, the step after it ran and saw the list.
            #expect(try output.statuses()["after"] == "succeeded")
            let prompt = try output.step("after")["prompt"] as? String ?? ""
            for testCase in Self.cases { #expect(prompt.contains(testCase.id)) }
        }
    }
}
