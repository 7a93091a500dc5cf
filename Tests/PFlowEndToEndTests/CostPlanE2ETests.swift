import Foundation
import Testing

/// The cost model of `pflow plan` checked against what a run records: on the mock the
/// plan's expected requests and tokens are what the run reports, to the token.
@Suite struct CostPlanE2ETests {
    let root = BuildProducts.packageRoot

    private func planned(_ workflow: String, _ extra: [String] = []) async throws -> [String: Any] {
        let result = try await runPFlow(["plan", "--format", "json", workflow] + extra, cwd: root)
        #expect(result.exitCode == 0, "\(result.stderr)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try #require(plan["cost"] as? [String: Any])
    }

    /// (vote.yaml is not among them: the plan does not model a JSON step's schema
    /// instructions or a reduce step's result, see docs/cli.md. Nor is nested-lanes.yaml:
    /// its `stragglers: cancel` block ends with two or three answers depending on which
    /// finishes first, so what the run records depends on timing, and the steps after it
    /// quote what arrived.)
    @Test(arguments: ["workflows/due-diligence.yaml"])
    func thePlansExpectedFiguresAreWhatTheRunRecords(_ workflow: String) async throws {
        let cost = try await planned(workflow)
        let expected = try #require((cost["run"] as? [String: Any])?["expected"] as? [String: Any])

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let run = try await runPFlow(
            ["run", root.appendingPathComponent(workflow).path, "--out", directory.url.path, "--quiet"],
            cwd: directory.url)
        #expect(run.exitCode == 0, "\(run.stderr)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).first)
        let manifest = try RunOutput(out: directory.url, name: name).manifest()
        let totals = try #require(manifest["totals"] as? [String: Any])
        #expect(expected["requests"] as? Int == totals["requests"] as? Int)
        #expect(expected["inputTokens"] as? Int == totals["input_tokens"] as? Int)
        #expect(expected["outputTokens"] as? Int == totals["output_tokens"] as? Int)
        if let dollars = expected["dollars"] as? Double {
            #expect(abs(dollars - (totals["cost_usd"] as? Double ?? -1)) < 0.000_01)
        }
    }

    @Test func textShowsDollarsAndRateLimitTimeAndRunsScaleThem() async throws {
        let one = try await runPFlow(["plan", "workflows/due-diligence.yaml"], cwd: root)
        #expect(one.exitCode == 0)
        #expect(one.stdout.contains("Cost of one run (expected: one attempt each; worst case: every retry"))
        #expect(
            one.stdout.contains(
                "  due-diligence  expected    8 requests, 740 in + 646 out tokens, $0.0051\n"))
        #expect(
            one.stdout.contains(
                "  provider thorough: 300 requests/min, 40000 tokens/min: 2 requests (2353 tokens as the limiter "
                    + "counts them) fit in the limits at once: no wait; useful concurrency about 0.4 (the rate × 700ms a request)\n"
            ),
            "\(one.stdout)")

        let ten = try await runPFlow(["plan", "workflows/due-diligence.yaml", "--runs", "10"], cwd: root)
        #expect(ten.stdout.contains("Cost of 10 runs"))
        #expect(one.stdout.contains("  provider thorough (mock): 300 requests/min, 40000 tokens/min\n"))
        #expect(ten.stdout.contains("  due-diligence  expected    80 requests, 7400 in + 6460 out tokens, $0.0506\n"))
        #expect(ten.stdout.contains("Rate limits (10 runs)\n"))
        #expect(ten.stdout.contains("20 requests (23530 tokens as the limiter counts them) take at least 3s"))

        let bad = try await runPFlow(["plan", "workflows/due-diligence.yaml", "--runs", "0"], cwd: root)
        #expect(bad.exitCode == 2)
        #expect(bad.stderr.contains("--runs must be at least 1"))
    }

    @Test func jsonCarriesTheWorstCaseAndTheRates() async throws {
        let cost = try await planned("workflows/due-diligence.yaml", ["--runs", "10"])
        #expect(cost["runs"] as? Int == 10)
        let worst = try #require((cost["run"] as? [String: Any])?["worstCase"] as? [String: Any])
        // 8 requests × 3 attempts × 10 runs, each writing all of its 800 max_tokens.
        #expect(worst["requests"] as? Int == 240)
        #expect(worst["outputTokens"] as? Int == 240 * 800)
        let providers = try #require(cost["providers"] as? [[String: Any]])
        #expect(providers.map { $0["name"] as? String } == ["fast", "thorough"])
        #expect(providers[1]["tokensPerMinute"] as? Int == 40000)
    }
}
