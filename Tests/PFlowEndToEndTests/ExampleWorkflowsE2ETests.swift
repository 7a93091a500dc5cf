import Foundation
import Testing

/// Every example in workflows/ rehearses offline: `pflow run --mock` succeeds, JSON steps
/// included (the mock answers them from their schemas).
@Suite("every example workflow runs with --mock", .serialized)
struct ExampleWorkflowsE2ETests {
    let root = BuildProducts.packageRoot

    static let examples: [String] = {
        let folder = BuildProducts.packageRoot.appendingPathComponent("workflows")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }()

    @Test(arguments: examples)
    func runsWithTheMock(_ name: String) async throws {
        let out = try TemporaryDirectory()
        defer { out.remove() }
        let result = try await runPFlow(
            ["run", "--mock", "workflows/\(name)", "--out", out.url.path], cwd: root)
        #expect(result.exitCode == 0, "\(name): \(result.stderr)")
    }

    @Test func theVoteIsTalliedWithoutAModel() async throws {
        let out = try TemporaryDirectory()
        defer { out.remove() }
        let result = try await runPFlow(["run", "--mock", "workflows/vote.yaml", "--out", out.url.path], cwd: root)
        #expect(result.exitCode == 0, "\(result.stderr)")
        let output = try RunOutput(out: out.url, name: "vote")
        let verdict = try output.step("verdict")
        let value = try #require(verdict["value"] as? [String: Any])
        #expect(value["voters"] as? Int == 7)
        #expect(["yes", "no"].contains(value["winner"] as? String ?? ""))
        // The report shows the tally's readable answer, though its record has a shape of its own.
        #expect(output.files["report.html"]?.contains("Winner: **") == true)
    }
}
