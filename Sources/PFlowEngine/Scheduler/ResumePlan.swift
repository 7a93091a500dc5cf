import PFlowSpec
import Synchronization

/// What a resumed run does with each step, given what the earlier session left.
///
/// A step that succeeded is reused when the request it would send now hashes the same as
/// the one recorded (same provider, model, system, prompt, max_tokens, temperature):
/// that covers an edited workflow under `--force`, a changed input file, and a step
/// downstream of one that ran again and answered differently. Everything else runs again,
/// except that `--only-failed` leaves steps that did not fail alone (see `keeps`).
struct ResumePlan: Sendable {
    let prior: PriorRun
    let onlyFailed: Bool
    /// Steps cancelled because a block around them failed: casualties of the failure, which
    /// `--only-failed` sends again with it, or the block could only fail again.
    let casualties: Set<String>
    /// Steps reused so far, for the summary.
    let reused = Counter()

    final class Counter: Sendable {
        private let value = Mutex(0)
        func add() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    /// The earlier text of a step that may be reused; nil when it must run again.
    func reusable(_ id: String, requestHash: String) -> (text: String, record: StepRecord)? {
        guard let record = prior.records[id], record.requestSHA256 == requestHash,
            let text = prior.output(of: id)
        else { return nil }
        return (text, record)
    }

    /// Whether the step succeeded last time (whatever its request now).
    func succeeded(_ id: String) -> Bool {
        prior.records[id]?.status == .succeeded
    }

    init(prior: PriorRun, onlyFailed: Bool, workflow: Workflow) {
        self.prior = prior
        self.onlyFailed = onlyFailed
        casualties = Self.stepsUnderFailedBlocks(of: workflow, prior: prior)
    }

    /// The status to keep, without sending anything, under `--only-failed`: steps that
    /// were cancelled by a policy (stragglers, a block that succeeded), skipped by
    /// `on_timeout: skip`, or never finished. Failed and timed-out steps run again, and so
    /// do steps skipped because something before them did not succeed (they made no request,
    /// so they have no record) and steps cancelled because their block failed, as GitHub
    /// re-runs failed jobs with their dependents.
    func keptStatus(of id: String) -> NodeStatus? {
        guard onlyFailed, !succeeded(id) else { return nil }
        switch lastStatus(of: id) {
        case .succeeded, .failed, .timedOut: return nil
        case .skipped: return prior.records[id]?.status == .skipped ? .skipped : nil
        case .cancelled: return casualties.contains(id) ? nil : .cancelled
        case .pending, .running: return .cancelled
        }
    }

    /// How the step last ended: run.json's status when it is final (it is newer than a
    /// record left from an even earlier session), else the record's.
    func lastStatus(of id: String) -> NodeStatus {
        if let entry = prior.entries[id], entry.status.isTerminal { return entry.status }
        return prior.records[id]?.status ?? prior.entries[id]?.status ?? .pending
    }

    /// Attempts already made, so new ones continue the numbering and spans stay unique.
    func attemptsBefore(_ id: String) -> Int {
        prior.attemptsSeen[id] ?? 0
    }

    /// The attempts recorded last time, to which new ones are appended.
    func earlierAttempts(_ id: String) -> [StepRecord.Attempt] {
        prior.records[id]?.attempts ?? []
    }

    /// Every step id inside a block that failed or timed out last time, at any depth. Each
    /// step's run.json entry names its innermost block, so only the blocks are walked: a
    /// block is doomed when it failed or sits inside one that did.
    private static func stepsUnderFailedBlocks(of workflow: Workflow, prior: PriorRun) -> Set<String> {
        let failed = Set(
            prior.manifest.blocks.filter { $0.status == .failed || $0.status == .timedOut }.map(\.id))
        guard !failed.isEmpty else { return [] }
        var doomed: Set<String> = []
        workflow.steps.walk(from: false) { node, underFailure in
            let under = underFailure || failed.contains(node.id)
            if case .step = node { return under }
            if under { doomed.insert(node.id) }
            return under
        }
        return Set(prior.entries.values.filter { $0.block.map(doomed.contains) ?? false }.map(\.id))
    }
}
