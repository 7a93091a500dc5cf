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
    private struct State {
        var events: [RunEvent] = []
        var waiters: [(kind: RunEvent.Kind, step: String, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    func runDidEmit(_ event: RunEvent) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.events.append(event)
            let matching = state.waiters.filter { $0.kind == event.kind && $0.step == event.stepID }
            state.waiters.removeAll { $0.kind == event.kind && $0.step == event.stepID }
            return matching.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    var all: [RunEvent] { state.withLock { $0.events } }

    /// Returns once `step` has emitted an event of `kind`.
    func waitFor(_ kind: RunEvent.Kind, _ step: String) async {
        await withCheckedContinuation { continuation in
            let seen = state.withLock { state -> Bool in
                if state.events.contains(where: { $0.kind == kind && $0.stepID == step }) { return true }
                state.waiters.append((kind, step, continuation))
                return false
            }
            if seen { continuation.resume() }
        }
    }

    /// Index of the first event of `kind` for `step`.
    func index(of kind: RunEvent.Kind, _ step: String) -> Int? {
        all.firstIndex { $0.kind == kind && $0.stepID == step }
    }
}

/// Runs a workflow in a scratch folder with the given providers standing in by name.
///
/// Timestamps are a fixed date and the backoff's jitter is `jitter` (0 by default), so the
/// delays and records a test reads do not depend on chance or the day.
struct TestRun {
    static let date = Date(timeIntervalSince1970: 1_767_225_600)

    let scratch = ScratchDirectory()
    let recorder = EventRecorder()

    func run(
        _ workflow: Workflow, providers: [String: any LLMProvider] = [:], inputs: [String: String] = [:],
        clock: any Clock<Duration> = ContinuousClock(), jitter: Double = 0, maxConcurrency: Int? = nil,
        prepared: @Sendable (WorkflowRun) -> Void = { _ in }
    ) async throws -> (summary: RunSummary, run: WorkflowRun) {
        var workflow = workflow
        if !workflow.file.hasPrefix("/") { workflow.file = scratch.path + "/" + workflow.file }
        let request = RunRequest(
            workflow: try workflow.compiled(), inputs: inputs, outputRoot: scratch.path + "/runs",
            maxConcurrency: maxConcurrency,
            environment: [:], workingDirectory: scratch.path, providerOverrides: providers)
        let run = try WorkflowRun.prepare(
            request, clock: RunClock(clock, date: { Self.date }), jitter: { jitter }, observer: recorder)
        prepared(run)
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
