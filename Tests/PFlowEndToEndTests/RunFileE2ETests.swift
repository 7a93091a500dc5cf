import Foundation
import Testing

/// Files that `pflow run` reads (map globs and `lines:` files, file inputs, `--input-file`)
/// pointed at places and kinds of file they must not be: each refused with a clear message,
/// before any request when it can be known then, and never a hang.
@Suite struct RunFileE2ETests {
    /// A workflow with one map over `source`, whose prompt reads each item's content.
    private static func mapWorkflow(over source: String, minSuccess: String = "all") -> String {
        HostileFileCLITests.mapWorkflow(over: source, prompt: "read {{ item.content }}", minSuccess: minSuccess)
    }

    /// A workflow whose one step reads the file input `doc`.
    private static let fileInputWorkflow = """
        version: 1
        name: hostile
        inputs: { doc: { file: true } }
        providers: { m: { kind: mock } }
        defaults: { provider: m }
        steps:
          - id: read
            prompt: "{{ inputs.doc }}"

        """

    @Test func aGlobMatchThatIsASymlinkOutsideTheFolderIsRefusedAtRunUnlessAllowed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (workflow, _) = try directory.symlinkEscape(workflowText: Self.mapWorkflow(over: #"{ glob: "*.txt" }"#))
        let out = directory.url.appendingPathComponent("runs")

        let refused = try await runPFlow(["run", "--mock", "--quiet", "--out", out.path, workflow.path])
        #expect(refused.exitCode == 2)
        #expect(refused.stderr.contains("'*.txt' reaches outside the workflow's folder: 'leak.txt' resolves to '"))
        #expect(refused.stderr.contains("pass --allow-outside to allow it"))
        #expect(!FileManager.default.fileExists(atPath: out.path), "nothing may be run")

        let allowed = try await runPFlow([
            "run", "--mock", "--quiet", "--allow-outside", "--out", out.path, workflow.path,
        ])
        #expect(allowed.exitCode == 0, "\(allowed.stderr)")
        let run = try RunOutput(out: out, name: "hostile")
        #expect(try run.stepOutput("each.0").contains("not for the model"))

        // The run was allowed; resuming it is a new decision, refused without the option.
        let resumed = try await runPFlow(["resume", "--quiet", out.appendingPathComponent("hostile/latest").path])
        #expect(resumed.exitCode == 2)
        #expect(resumed.stderr.contains("pass --allow-outside to allow it"))
    }

    @Test func aLinesFileThatIsAFIFOIsRefusedBeforeAnyRequestWithoutHanging() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(mkfifo(directory.url.appendingPathComponent("list.txt").path, 0o600) == 0)
        _ = try directory.file("w.yaml", contents: Self.mapWorkflow(over: "{ lines: list.txt }"))

        let result = try await runPFlow(
            ["run", "--mock", "--quiet", "--out", "runs", "w.yaml"], cwd: directory.url, limit: .seconds(30))
        #expect(!result.timedOut)
        #expect(result.exitCode == 2)
        #expect(
            result.stderr.hasSuffix(
                "error: map lines file 'list.txt' is not a regular file\n"))
        #expect(!FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("runs").path))
    }

    @Test func aGlobMatchThatIsAFIFOFailsItsBranchWithoutHanging() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try directory.file("a.txt", contents: "plain\n")
        #expect(mkfifo(directory.url.appendingPathComponent("b.txt").path, 0o600) == 0)
        // min_success 1: the FIFO's branch failing must not cancel the plain file's, which
        // under load had not always answered yet (its status was then `cancelled`).
        _ = try directory.file("w.yaml", contents: Self.mapWorkflow(over: #"{ glob: "*.txt" }"#, minSuccess: "1"))

        let result = try await runPFlow(
            ["run", "--mock", "--quiet", "--out", "runs", "w.yaml"], cwd: directory.url, limit: .seconds(30))
        #expect(!result.timedOut)
        #expect(result.exitCode == 0, "\(result.stderr)")
        let run = try RunOutput(out: directory.url.appendingPathComponent("runs"), name: "hostile")
        #expect(try run.step("each.0")["status"] as? String == "succeeded")
        let failed = try run.step("each.1")
        #expect(failed["status"] as? String == "failed")
        #expect(failed[path: "error", "message"] as? String == "map item 'b.txt' is not a regular file")
    }

    @Test(arguments: [
        ("missing.txt", "error: input 'doc': file 'missing.txt' does not exist\n"),
        ("folder", "error: input 'doc': 'folder' is a directory, not a file\n"),
        ("fifo", "error: input 'doc': 'fifo' is not a regular file\n"),
    ])
    func anInputFileThatIsNotAFileStopsTheRun(path: String, message: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try directory.file("w.yaml", contents: Self.fileInputWorkflow)
        try FileManager.default.createDirectory(
            at: directory.url.appendingPathComponent("folder"), withIntermediateDirectories: true)
        #expect(mkfifo(directory.url.appendingPathComponent("fifo").path, 0o600) == 0)

        for option in ["--input-file", "--input"] {
            let result = try await runPFlow(
                ["run", "--mock", "--quiet", "--out", "runs", option, "doc=\(path)", "w.yaml"], cwd: directory.url,
                limit: .seconds(30))
            #expect(!result.timedOut, "\(option)")
            #expect(result.exitCode == 2, "\(option)")
            #expect(result.stderr == message, "\(option)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("runs").path))
    }

    @Test func filesOverTheCapAreRefusedBeforeTheyAreRead() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try directory.sparseFile("big.txt", size: 17 << 20)
        _ = try directory.file("w.yaml", contents: Self.fileInputWorkflow)
        _ = try directory.file("lines.yaml", contents: Self.mapWorkflow(over: "{ lines: big.txt }"))
        let refusal = "is 17825792 bytes; files read by a run are limited to 16777216 bytes\n"

        let input = try await runPFlow(
            ["run", "--mock", "--quiet", "--out", "runs", "--input-file", "doc=big.txt", "w.yaml"], cwd: directory.url)
        #expect(input.exitCode == 2)
        #expect(input.stderr == "error: input 'doc': 'big.txt' " + refusal)
        let lines = try await runPFlow(["run", "--mock", "--quiet", "--out", "runs", "lines.yaml"], cwd: directory.url)
        #expect(lines.exitCode == 2)
        #expect(lines.stderr.hasSuffix("error: map lines file 'big.txt' " + refusal))
        #expect(!FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("runs").path))
        // plan does not count what the run would refuse, and says why.
        let plan = try await runPFlow(["plan", "lines.yaml"], cwd: directory.url)
        #expect(plan.exitCode == 0)
        #expect(plan.stdout.contains("note: map 'each': big.txt " + refusal.dropLast() + "; its width is dynamic\n"))
    }
}
