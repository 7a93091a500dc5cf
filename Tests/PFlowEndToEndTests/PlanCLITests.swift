import Foundation
import Testing

/// `pflow plan` through the built binary: each format, map widths counted from disk and
/// inputs, and the refusal to plan an invalid workflow.
@Suite struct PlanCLITests {
    let root = BuildProducts.packageRoot

    @Test func textShowsLevelsPathsCountsAndLimits() async throws {
        let result = try await runPFlow(["plan", "workflows/due-diligence.yaml"], cwd: root)
        #expect(result.exitCode == 0)
        #expect(result.stderr == "")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "due-diligence  (workflows/due-diligence.yaml)")
        #expect(lines.contains("  1  width 1  brief"))
        #expect(lines.contains { $0.hasPrefix("  2  width 4  financials, press, patents, leadership") })
        #expect(lines.contains { $0.hasPrefix("Critical path     brief → ") && $0.hasSuffix(" → synthesis") })
        #expect(lines.contains { $0.hasPrefix("Requests          8 expected, 24 in the worst case") })
        #expect(lines.contains("Peak parallelism  4"))
        #expect(lines.contains("  analysts: min_success 4, stragglers wait, timeout 2m"))
    }

    @Test func aGlobMapIsCountedFromTheWorkflowsFolder() async throws {
        // Run from elsewhere: the glob is relative to the workflow file, not the cwd.
        let result = try await runPFlow(
            ["plan", root.appendingPathComponent("workflows/research-papers.yaml").path],
            cwd: URL(fileURLWithPath: "/"))
        #expect(result.exitCode == 0)
        #expect(result.stdout.contains("  1  width 5  papers (map × 5)\n"))
    }

    @Test func aMapOverAnInputIsCountedFromInputLines() async throws {
        let file = "Tests/Fixtures/graph/limits.yaml"
        let without = try await runPFlow(["plan", file], cwd: root)
        #expect(without.stdout.contains("unbounded (map × dynamic)"))
        #expect(without.stdout.contains("note: map 'unbounded': input 'topics' has no value; give --input topics=..."))
        let with = try await runPFlow(["plan", file, "--input", "topics=a\nb\n\nc"], cwd: root)
        #expect(with.exitCode == 0)
        #expect(with.stdout.contains("  4  width 3  unbounded (map × 3)\n"))
    }

    @Test func jsonIsThePlanForMachines() async throws {
        let result = try await runPFlow(["plan", "--format", "json", "workflows/vote.yaml"], cwd: root)
        #expect(result.exitCode == 0)
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let levels = try #require(plan["levels"] as? [[String: Any]])
        #expect(levels.count == 3)
        #expect((levels.first?["width"] as? [String: Any])?["known"] as? Int == 7)
        // The reduce step has a level of its own and is on the path, with no request.
        let reduce = (levels[1]["steps"] as? [[String: Any]])?.first
        #expect(reduce?["kind"] as? String == "reduce" && reduce?["provider"] == nil)
        #expect((levels[1]["width"] as? [String: Any])?["known"] as? Int == 0)
        let path = plan["criticalPathByTime"] as? [String: Any]
        #expect(path?["steps"] as? [String] == ["samples.0", "verdict", "summary"])
        #expect(path?["requests"] as? Int == 2)
        #expect(plan["peakParallelism"] as? Int == 7)
    }

    @Test func mermaidIsAFlowchartWithSubgraphsAndNeedsEdges() async throws {
        let result = try await runPFlow(["plan", "--format", "mermaid", "workflows/nested-lanes.yaml"], cwd: root)
        #expect(result.exitCode == 0)
        #expect(result.stdout.hasPrefix("flowchart TD\n"))
        #expect(result.stdout.contains("  subgraph n_lanes[\"lanes · parallel · max 4 at once\"]\n"))
        #expect(result.stdout.contains("  n_outline --> n_lanes\n"))
        #expect(result.stdout.contains("  n_docs_draft -.->|needs| n_sales_deck\n"))
        #expect(
            result.stdout.components(separatedBy: "subgraph ").count - 1
                == result.stdout.components(separatedBy: "\n").filter {
                    $0.trimmingCharacters(in: .whitespaces) == "end"
                }.count)
    }

    @Test func dotIsADigraphWithClusters() async throws {
        let result = try await runPFlow(["plan", "--format", "dot", "workflows/due-diligence.yaml"], cwd: root)
        #expect(result.exitCode == 0)
        #expect(result.stdout.hasPrefix("digraph \"due-diligence\" {\n"))
        #expect(result.stdout.contains("subgraph cluster_0 {"))
        #expect(result.stdout.contains("\"brief\" -> \"financials\" [lhead=cluster_0];"))
        #expect(result.stdout.hasSuffix("}\n"))
    }

    @Test func anInvalidWorkflowIsNotPlanned() async throws {
        let result = try await runPFlow(["plan", "Tests/Fixtures/graph/cycle.yaml"], cwd: root)
        #expect(result.exitCode == 2)
        #expect(result.stdout == "")
        #expect(result.stderr.contains("error: dependency cycle: b -> a -> b"))
        #expect(result.stderr.hasSuffix("3 errors in Tests/Fixtures/graph/cycle.yaml; nothing to plan\n"))
    }

    @Test func anInputWithoutAValueIsAUsageError() async throws {
        let result = try await runPFlow(["plan", "workflows/vote.yaml", "--input", "topics"], cwd: root)
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("--input takes NAME=VALUE, got 'topics'"))
    }
}
