import Foundation
import PFlowEngine
import PFlowSpec
import Synchronization
import Testing

@Suite("Run directory")
struct RunStoreTests {
    @Test("layout: run.json, events.jsonl, steps/<id>.md and .json, result.md, latest")
    func layout() async throws {
        let test = TestRun()
        test.scratch.write("version: 1\n", to: "flow.yaml")
        let workflow = Build.workflow(
            [
                Build.parallel("block", [Build.step("a"), Build.step("b")]),
                Build.step("final", "{{ steps.block.outputs }}"),
            ],
            file: "flow.yaml", providers: [Build.mock(settings: .init(seed: 7))])
        let (summary, run) = try await test.run(workflow)
        #expect(summary.status == .succeeded)

        let folder = run.directory.path
        #expect(folder.hasPrefix(test.scratch.path + "/runs/test/"))
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(files == ["events.jsonl", "result.md", "run.json", "steps"])
        let steps = try FileManager.default.contentsOfDirectory(atPath: folder + "/steps").sorted()
        #expect(steps == ["a.json", "a.md", "b.json", "b.md", "final.json", "final.md"])
        #expect(
            test.scratch.read(run.directory.resultPath) == test.scratch.read(run.directory.outputPath(forStep: "final"))
        )

        let manifest = try test.manifest(run)
        #expect(manifest.status == .succeeded)
        // `printf 'version: 1\n' | sha256sum`
        #expect(manifest.workflow.sha256 == "09bfcc6a14b83e2192b8673677725c84883ee9cd0c70e45c9ec09daa8f2b2847")
        #expect(manifest.steps.map(\.id) == ["a", "b", "final"])
        #expect(manifest.result == "result.md")
        #expect(manifest.totals.requests == 3)
        #expect(manifest.totals.inputTokens > 0)
        #expect(manifest.criticalPath?.steps.last == "final")

        let record = try test.record(run, step: "final")
        #expect(record.prompt?.contains("## a") == true)
        #expect(record.attempts.count == 1)
        #expect(record.provider == "mock")

        let destination = try FileManager.default.destinationOfSymbolicLink(
            atPath: test.scratch.path + "/runs/test/latest")
        #expect(destination == run.directory.runID)
        // No temporary files are left behind by atomic writes.
        #expect(!files.contains { $0.hasPrefix(".") })
    }

    @Test("events.jsonl: one JSON object a line, in order, with run id, monotonic t and spans")
    func eventsFile() async throws {
        let test = TestRun()
        let workflow = Build.workflow([Build.step("a"), Build.step("b")])
        let (_, run) = try await test.run(workflow, providers: ["mock": ScriptedProvider.succeeding])
        let text = try #require(test.scratch.read(run.directory.eventsPath))
        let lines = text.split(separator: "\n")
        let objects = try lines.map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(
            objects.map { $0["event"] as? String } == [
                "run_started", "step_started", "attempt_started", "attempt_finished", "step_finished",
                "step_started", "attempt_started", "attempt_finished", "step_finished", "run_finished",
            ])
        #expect(objects.allSatisfy { $0["run"] as? String == run.directory.runID && $0["ts"] is String })
        let times = objects.compactMap { $0["t"] as? Double }
        #expect(times == times.sorted())
        #expect(objects.compactMap { $0["span"] as? String }.contains("a#1"))
    }

    @Test("each step's .md exists before anything downstream starts")
    func outputsLandBeforeDownstream() async throws {
        let test = TestRun()
        let seen = SeenFiles()
        let provider = ScriptedProvider { request throws(ProviderError) in
            if request.stepID == "synthesis" { seen.snapshot(test.scratch.path + "/runs/test") }
            return ScriptedProvider.answer(request)
        }
        let workflow = Build.workflow([
            Build.parallel("analysts", ["a", "b", "c"].map { Build.step($0) }), Build.step("synthesis"),
        ])
        _ = try await test.run(workflow, providers: ["mock": provider])
        #expect(Set(["a.md", "b.md", "c.md"]).isSubset(of: seen.names))
    }

    @Test("two runs in the same second get distinct directories")
    func distinctDirectories() throws {
        let scratch = ScratchDirectory()
        let now = Date()
        let first = try RunDirectory.create(root: scratch.path, workflowName: "same", now: now)
        let second = try RunDirectory.create(root: scratch.path, workflowName: "same", now: now)
        #expect(first.path != second.path)
        #expect(first.runID.prefix(16) == second.runID.prefix(16))
        try first.markLatest()
        try second.markLatest()
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: scratch.path + "/same/latest") == second.runID)
    }

    @Test("run ids look like <UTC yyyyMMdd'T'HHmmss'Z'>-<6 hex>")
    func runIDShape() throws {
        let scratch = ScratchDirectory()
        let directory = try RunDirectory.create(
            root: scratch.path, workflowName: "x", now: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(directory.runID.hasPrefix("20231114T221320Z-"))
        #expect(directory.runID.count == "20231114T221320Z-".count + 6)
    }

    @Test("an unwritable output folder is a clear setup error")
    func unwritableRoot() throws {
        let scratch = ScratchDirectory()
        scratch.write("a file, not a folder", to: "blocked")
        let workflow = Build.workflow([Build.step("a")])
        let request = RunRequest(
            workflow: try workflow.compiled(), outputRoot: scratch.path + "/blocked", environment: [:],
            workingDirectory: scratch.path)
        let error = #expect(throws: RunSetupError.self) { try WorkflowRun.prepare(request) }
        #expect(error?.message.contains("blocked") == true)
    }
}

/// File names present in any run's steps/ folder at one moment.
final class SeenFiles: Sendable {
    private let seen = Mutex<Set<String>>([])
    var names: Set<String> { seen.withLock { $0 } }

    func snapshot(_ root: String) {
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        var names: Set<String> = []
        for run in runs where run != "latest" {
            names.formUnion((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + run + "/steps")) ?? [])
        }
        seen.withLock { $0.formUnion(names) }
    }
}
