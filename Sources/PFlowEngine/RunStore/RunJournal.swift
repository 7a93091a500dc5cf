import Foundation
import PFlowSpec
import Synchronization

/// The run's state as run.json shows it, kept in memory and written out coalesced.
///
/// Steps update it under one lock in O(1); a background loop rewrites run.json at most
/// every `interval` (longer when encoding itself is slow, so a ten-thousand-step run
/// spends its time running, not re-encoding), and the final state is always written.
final class RunJournal: Sendable {
    static let minimumInterval: Duration = .milliseconds(150)

    fileprivate enum Slot {
        case step(Int)
        /// A map's branches, in index order, once it expands.
        case map(String)
    }

    fileprivate struct State {
        var manifest: RunManifest
        var priorAttempts: [String: Int]
        var steps: [RunManifest.StepEntry] = []
        /// Each step's element of run.json's `steps` array, nil until encoded and again
        /// whenever the step changes: a rewrite re-encodes only those, not every step.
        var encodedSteps: [String?] = []
        /// Counts each step's changes, so that an encoding made outside the lock is kept
        /// only if its step did not change meanwhile.
        var stepRevisions: [Int] = []
        var stepIndex: [String: Int] = [:]
        var order: [Slot] = []
        var mapBranches: [String: Range<Int>] = [:]
        var blocks: [RunManifest.BlockEntry] = []
        var blockIndex: [String: Int] = [:]
        var dirty = true
    }

    private let state: Mutex<State>
    private let path: String
    /// Serialises writers, so an older snapshot never renames over a newer one.
    private let writer = Mutex(())

    /// `priorAttempts`: requests a resumed run's steps made in earlier sessions, so that
    /// run.json counts every request, including those of steps that do not run again.
    init(manifest: RunManifest, path: String, priorAttempts: [String: Int] = [:]) {
        state = Mutex(State(manifest: manifest, priorAttempts: priorAttempts))
        self.path = path
    }

    // MARK: Registration, in declaration order

    func registerStep(_ id: String, block: String? = nil, provider: String?, model: String?) {
        state.withLock { s in
            s.order.append(.step(s.steps.count))
            s.appendStep(id, block: block, provider: provider, model: model)
        }
    }

    func registerMap(_ id: String) {
        state.withLock { $0.order.append(.map(id)) }
    }

    func registerMapBranches(_ mapID: String, ids: [String], provider: String?, model: String?) {
        state.withLock { s in
            let start = s.steps.count
            for id in ids { s.appendStep(id, block: mapID, provider: provider, model: model) }
            s.mapBranches[mapID] = start..<s.steps.count
            s.dirty = true
        }
    }

    func registerBlock(_ id: String, kind: BlockKind, branches: Int, required: Int) {
        state.withLock { s in
            if let index = s.blockIndex[id] {
                s.blocks[index].branches = branches
                s.blocks[index].required = required
            } else {
                s.blockIndex[id] = s.blocks.count
                s.blocks.append(
                    RunManifest.BlockEntry(
                        id: id, kind: kind, status: .pending, branches: branches, succeeded: 0, required: required))
            }
            s.dirty = true
        }
    }

    // MARK: Updates

    func updateStep(_ id: String, _ change: (inout RunManifest.StepEntry) -> Void) {
        state.withLock { s in
            guard let index = s.stepIndex[id] else { return }
            change(&s.steps[index])
            s.encodedSteps[index] = nil
            s.stepRevisions[index] += 1
            s.dirty = true
        }
    }

    func updateBlock(_ id: String, _ change: (inout RunManifest.BlockEntry) -> Void) {
        state.withLock { s in
            guard let index = s.blockIndex[id] else { return }
            change(&s.blocks[index])
            s.dirty = true
        }
    }

    func updateRun(_ change: (inout RunManifest) -> Void) {
        state.withLock { s in
            change(&s.manifest)
            s.dirty = true
        }
    }

    // MARK: Reading and writing

    /// The manifest as it stands, steps in declaration order and totals added up.
    func snapshot() -> RunManifest {
        state.withLock { s in s.snapshot() }
    }

    /// Writes run.json now if anything changed (or `force`). Returns how long encoding
    /// and writing took, for the coalescing interval.
    @discardableResult
    func write(force: Bool = false) throws(RunStoreError) -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        try writer.withLock { _ throws(RunStoreError) in
            let pending = state.withLock { s -> PendingDocument? in
                guard s.dirty || force else { return nil }
                s.dirty = false
                return s.pendingDocument()
            }
            guard var pending else { return }
            // Encoded outside the lock, so steps keep updating meanwhile.
            var encoded: [(index: Int, revision: Int, element: String)] = []
            encoded.reserveCapacity(pending.stale.count)
            for stale in pending.stale {
                let element = stale.entry.jsonArrayElement
                pending.elements[stale.position] = element
                encoded.append((stale.index, stale.revision, element))
            }
            state.withLock { s in
                for item in encoded where s.stepRevisions[item.index] == item.revision {
                    s.encodedSteps[item.index] = item.element
                }
            }
            try AtomicFile.replace(at: path) { write in
                pending.manifest.writeDocument(stepElements: pending.elements, to: write)
            }
        }
        return start.duration(to: clock.now)
    }

    /// Rewrites run.json while the run goes on, until the task is cancelled.
    func writePeriodically() async {
        var interval = Self.minimumInterval
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            // A failed periodic write is retried next time; the final write reports errors.
            if let took = try? write() { interval = max(Self.minimumInterval, took * 4) }
        }
    }
}

/// What `write` takes from under the lock: everything but `steps` in the manifest, the
/// steps' elements in run.json order, and the entries whose element must be encoded again.
private struct PendingDocument {
    struct Stale {
        /// In `elements`.
        var position: Int
        /// In the journal's `steps`.
        var index: Int
        var revision: Int
        var entry: RunManifest.StepEntry
    }

    var manifest: RunManifest
    /// Empty strings where `stale` says an entry is still to be encoded.
    var elements: [String]
    var stale: [Stale]
}

extension RunJournal.State {
    fileprivate mutating func appendStep(_ id: String, block: String?, provider: String?, model: String?) {
        stepIndex[id] = steps.count
        encodedSteps.append(nil)
        stepRevisions.append(0)
        steps.append(
            RunManifest.StepEntry(
                id: id, block: block, status: .pending, provider: provider, model: model,
                attempts: priorAttempts[id] ?? 0,
                inputTokens: 0, outputTokens: 0, costUSD: 0))
        dirty = true
    }

    fileprivate func snapshot() -> RunManifest {
        let ordered = orderedIndices()
        var manifest = header(over: ordered)
        manifest.steps = ordered.map { steps[$0] }
        return manifest
    }

    /// Takes the cached elements and copies only the entries that changed since they were
    /// encoded, so the lock is held for a walk over the steps, not for encoding them.
    fileprivate func pendingDocument() -> PendingDocument {
        let ordered = orderedIndices()
        var elements: [String] = []
        elements.reserveCapacity(ordered.count)
        var stale: [PendingDocument.Stale] = []
        for (position, index) in ordered.enumerated() {
            if let element = encodedSteps[index] {
                elements.append(element)
            } else {
                elements.append("")
                stale.append(
                    .init(position: position, index: index, revision: stepRevisions[index], entry: steps[index]))
            }
        }
        return PendingDocument(manifest: header(over: ordered), elements: elements, stale: stale)
    }

    /// Indices into `steps` in declaration order, each map's branches where the map is.
    private func orderedIndices() -> [Int] {
        var ordered: [Int] = []
        ordered.reserveCapacity(steps.count)
        for slot in order {
            switch slot {
            case .step(let index): ordered.append(index)
            case .map(let id):
                if let range = mapBranches[id] { ordered.append(contentsOf: range) }
            }
        }
        return ordered
    }

    /// The manifest with its blocks and totals, and no steps.
    private func header(over ordered: [Int]) -> RunManifest {
        var manifest = manifest
        var totals = RunManifest.Totals(
            steps: ordered.count, statuses: [:], requests: 0, inputTokens: 0, outputTokens: 0, costUSD: 0)
        for index in ordered {
            let step = steps[index]
            totals.statuses[step.status.rawValue, default: 0] += 1
            totals.requests += step.attempts
            totals.inputTokens += step.inputTokens
            totals.outputTokens += step.outputTokens
            totals.costUSD += step.costUSD
        }
        totals.costUSD = (totals.costUSD * 1_000_000).rounded() / 1_000_000
        manifest.steps = []
        manifest.blocks = blocks
        manifest.totals = totals
        return manifest
    }
}
