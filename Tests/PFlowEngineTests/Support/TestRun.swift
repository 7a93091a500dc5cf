import Foundation
import PFlowEngine
import PFlowSpec
import Synchronization
import Testing

/// A scratch folder per test, removed at the end.
final class ScratchDirectory: Sendable {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.path + "/pflow-engine-tests-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ text: String, to relative: String) {
        let full = path + "/" + relative
        try? FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: full, contents: Data(text.utf8))
    }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: relative.hasPrefix("/") ? relative : path + "/" + relative)
            .map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Collects the events a run emits, in order.
final class EventRecorder: RunObserver {
    private let events = Mutex<[RunEvent]>([])
    func runDidEmit(_ event: RunEvent) { events.withLock { $0.append(event) } }
    var all: [RunEvent] { events.withLock { $0 } }

    /// Index of the first event of `kind` for `step`.
    func index(of kind: RunEvent.Kind, _ step: String) -> Int? {
        all.firstIndex { $0.kind == kind && $0.stepID == step }
    }
}

/// Runs a workflow in a scratch folder with the given providers standing in by name.
struct TestRun {
    let scratch = ScratchDirectory()
    let recorder = EventRecorder()

    func run(
        _ workflow: Workflow, providers: [String: any LLMProvider] = [:], inputs: [String: String] = [:],
        clock: any Clock<Duration> = ContinuousClock(), maxConcurrency: Int? = nil
    ) async throws -> (summary: RunSummary, run: WorkflowRun) {
        var workflow = workflow
        if !workflow.file.hasPrefix("/") { workflow.file = scratch.path + "/" + workflow.file }
        let request = RunRequest(
            workflow: workflow, inputs: inputs, outputRoot: scratch.path + "/runs", maxConcurrency: maxConcurrency,
            environment: [:], workingDirectory: scratch.path, providerOverrides: providers)
        let run = try WorkflowRun.prepare(request, clock: clock, observer: recorder)
        let summary = await run.execute()
        return (summary, run)
    }

    func manifest(_ run: WorkflowRun) throws -> RunManifest {
        let data = try #require(FileManager.default.contents(atPath: run.directory.manifestPath))
        return try JSONDecoder().decode(RunManifest.self, from: data)
    }

    func record(_ run: WorkflowRun, step: String) throws -> StepRecord {
        let data = try #require(FileManager.default.contents(atPath: run.directory.recordPath(forStep: step)))
        return try JSONDecoder().decode(StepRecord.self, from: data)
    }
}

extension RunManifest {
    func status(of id: String) -> NodeStatus? {
        steps.first { $0.id == id }?.status ?? blocks.first { $0.id == id }?.status
    }
}
