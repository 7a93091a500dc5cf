import Foundation
import PFlowMockServerCore
import Testing

/// Budgets through the real binary: what was sent is counted by the server, never
/// inferred from pflow's own records.
@Suite("Budgets against pflow-mock-server")
struct BudgetE2ETests {
    /// $10 per million tokens in and out.
    static let priced = """
          priced:
            kind: openai
            model: gpt-test
            base_url: BASE/v1
            api_key_env: \(ServerWorkflow.keyVariable)
            price: { input_per_mtok: 10, output_per_mtok: 10 }
        """
    /// What the server answers each branch, verbatim: 400 bytes, 100 output tokens.
    static let answer = String(repeating: "abcd", count: 100)

    /// Each branch's prompt is some 452 bytes (the answer rides in it): the server counts
    /// 112 or 113 input tokens and 100 output, so a branch costs at least $0.00212; pflow
    /// reserves about 159 input tokens (three bytes a token, plus 8) and `max_tokens: 200`,
    /// some $0.0036. A cap of $0.032 affords fifteen branches as billed (sixteen cost at
    /// least $0.0339) and eight worst cases at once.
    static let cap = 0.032
    static let affordable = 15

    static func fan(minSuccess: String = "all") -> String {
        """
          - map:
              id: fan
              over: { items: [\((0..<40).map { "b\($0)" }.joined(separator: ", "))] }
              min_success: \(minSuccess)
              step:
                provider: priced
                max_tokens: 200
                prompt: "[mock:step={{ item }} latency=300ms answer=\(answer)] Summarise {{ item }}."
        """
    }

    static func workflow(_ name: String, server: MockServerProcess, steps: String) throws -> ServerWorkflow {
        try ServerWorkflow(
            name, server: server, providers: priced.replacingOccurrences(of: "BASE", with: server.baseURL),
            steps: steps)
    }

    /// The acceptance test: a 40-branch fan-out whose budget affords fifteen
    /// branches sends no more than that, fails with `budget_exceeded` and exit 1, and
    /// spends no more than the cap. Why the bound holds: a branch is sent only when its
    /// worst case fits beside everything spent, unsettled and reserved, and every branch
    /// sent ends charged at least its billed $0.00212 (its usage, or its whole worst case
    /// when the block's failure cancels it in flight); so the server sees at most
    /// cap / $0.00212 of them. Branches that do not fit beside the reservations of those
    /// in flight wait for them, so more than the eight worst cases the cap holds at once
    /// are sent (14 measured, every time; 8 when refusal did not wait). (Every branch must
    /// succeed, so the first refusal fails the block.)
    @Test func aFanOutStopsAtTheCap() async throws {
        try await withMockServerProcess { server in
            let workflow = try Self.workflow("capped", server: server, steps: Self.fan())
            defer { workflow.remove() }
            let result = try await workflow.run(["--max-cost", String(Self.cap), "--quiet"])
            #expect(result.exitCode == 1, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("budget_exceeded"), "\(result.stdout)")

            let sent = try await server.stats().requests
            #expect(sent > 8 && sent <= Self.affordable)
            let output = try workflow.output()
            let budget = try #require(try output.manifest()["budget"] as? [String: Any])
            #expect(budget["exceeded"] as? Bool == true)
            #expect(budget["max_cost"] as? Double == Self.cap)
            let unsettled = try #require(budget["unsettled"] as? [String: Any])
            let charged = try #require(budget["spent_cost"] as? Double) + (unsettled["cost"] as? Double ?? 0)
            #expect(charged <= Self.cap)
            // The first refusal fails the block, which cancels the branches still waiting:
            // how many were refused before that depends on timing.
            #expect(try #require(budget["refused_attempts"] as? Int) >= 1)
            let refused = try #require(try output.statuses().first { $0.value == "failed" }?.key)
            let error = try #require(try output.step(refused)["error"] as? [String: Any])
            #expect(error["kind"] as? String == "budget_exceeded")
        }
    }

    /// With `min_success: 10` the refused branches are absorbed: the run succeeds.
    @Test func minSuccessAbsorbsWhatTheBudgetRefused() async throws {
        try await withMockServerProcess { server in
            let workflow = try Self.workflow("absorbed", server: server, steps: Self.fan(minSuccess: "10"))
            defer { workflow.remove() }
            let result = try await workflow.run(["--max-cost", String(Self.cap), "--quiet"])
            #expect(result.exitCode == 0, "\(result.stdout)\(result.stderr)")
            let sent = try await server.stats().requests
            #expect(sent >= 10 && sent <= Self.affordable)
            let budget = try #require(try workflow.output().manifest()["budget"] as? [String: Any])
            #expect(budget["exceeded"] as? Bool == true)
            #expect(try #require(budget["spent_cost"] as? Double) <= Self.cap)
        }
    }

    /// The synthesis's worst case (4,000 output tokens) is beyond the cap: the run stops
    /// there with exit 1. `pflow resume --max-cost 1` finishes it, sending each refused
    /// branch and the synthesis once and nothing that had succeeded.
    @Test func resumeWithAHigherCapFinishesTheRunAndResendsNothing() async throws {
        try await withMockServerProcess { server in
            let steps =
                Self.fan(minSuccess: "10") + """

                      - id: synthesis
                        provider: priced
                        max_tokens: 4000
                        # Last: the answers it quotes carry the branches' own markers.
                        prompt: "Combine {{ steps.fan.outputs }} [mock:step=synthesis]"
                    """
            let workflow = try Self.workflow("resumed", server: server, steps: steps)
            defer { workflow.remove() }
            let result = try await workflow.run(["--max-cost", String(Self.cap), "--quiet"])
            #expect(result.exitCode == 1, "\(result.stdout)\(result.stderr)")
            let first = try await server.stats()
            #expect(first.byStep["synthesis"] == nil)
            let sentFirst = (0..<40).filter { first.byStep["b\($0)"] != nil }.count
            #expect(sentFirst >= 10 && sentFirst <= Self.affordable)

            let resumed = try await workflow.resume(["--max-cost", "1", "--quiet"])
            #expect(resumed.exitCode == 0, "\(resumed.stdout)\(resumed.stderr)")
            #expect(resumed.stdout.contains("\(sentFirst) steps reused"), "\(resumed.stdout)")
            let stats = try await server.stats()
            #expect(stats.requests == 41)
            for index in 0..<40 { #expect(stats.byStep["b\(index)"]?.requests == 1, "b\(index)") }
            #expect(stats.byStep["synthesis"]?.requests == 1)
            let budget = try #require(try workflow.output().manifest()["budget"] as? [String: Any])
            #expect(budget["max_cost"] as? Double == 1 && budget["exceeded"] as? Bool == false)
        }
    }

    @Test func aDollarCapOnAnUnpricedProviderIsRefusedBeforeAnythingIsSent() async throws {
        try await withMockServerProcess { server in
            let workflow = try ServerWorkflow(
                "unpriced", server: server,
                steps: """
                      - id: a
                        prompt: A.
                    """)
            defer { workflow.remove() }
            let result = try await workflow.run(["--max-cost", "1"])
            #expect(result.exitCode == 2)
            #expect(result.stderr == "error: --max-cost 1 needs a price for every provider; 'gpt' has none\n")
            #expect(try await server.stats().requests == 0)
        }
    }
}
