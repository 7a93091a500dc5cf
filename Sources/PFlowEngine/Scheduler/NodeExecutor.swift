import Foundation
import PFlowSpec

/// How a node ended, handed to whatever comes after it.
struct NodeOutcome: Sendable {
    var status: NodeStatus
    /// The longest chain of step durations ending at this node.
    var chain: ChainLink?
}

/// Runs the workflow tree as dataflow: a recursive walk over `StepNode` with structured
/// concurrency.
///
/// A list (the top level, a `sequence` lane) runs its items in order; a `parallel` block
/// starts its branches together in a TaskGroup; a `map` expands its items when reached.
/// `needs:` edges wait on the settlement board, so a node starts the moment what it needs
/// has settled: a slow branch never holds back an unrelated lane. Limits are semaphores
/// taken per attempt (see `NodeExecutor+Step`), never per level.
struct NodeExecutor: Sendable {
    /// Map and repeat branches in flight as tasks at once; the semaphores decide how many
    /// send requests. Bounds memory for very large maps.
    static let branchWindow = 8192

    let workflow: Workflow
    let directory: RunDirectory
    let board: SettlementBoard
    let journal: RunJournal
    let events: EventEmitter
    let registry: ProviderRegistry
    let renderer: TemplateRenderer
    /// Which answers stay on the board once published.
    let keptAnswers: KeptAnswers
    let expander: MapExpander
    let clock: RunClock
    /// The backoff's jitter, in 0..<1.
    let jitter: @Sendable () -> Double
    /// The run's `max_concurrency` (or `--max-concurrency`).
    let runLimit: AsyncSemaphore?
    /// Requests over the network hold a file descriptor each: stay under RLIMIT_NOFILE.
    let networkLimit: AsyncSemaphore?
    /// A resumed run: what the earlier session left, and what to do with it.
    var resume: ResumePlan? = nil
    /// The budgets, when the workflow or the command line declares any; `runBudget` is the
    /// root scope's.
    var budgets: BudgetLedger? = nil
    var runBudget: BudgetAccount? = nil

    /// Runs one node after its structural predecessor, whose chain is `entry`.
    func run(_ node: StepNode, scope: ExecutionScope, after entry: ChainLink?) async -> NodeOutcome {
        var chain = entry
        for need in node.needs {
            guard let settled = await board.wait(for: need.value) else {
                let status = scope.cancelledStatus
                settleUnrun(node, status: status, reason: "cancelled while waiting for '\(need.value)'")
                return NodeOutcome(status: status, chain: chain)
            }
            guard settled.status == .succeeded else {
                settleUnrun(node, status: .skipped, reason: "needs '\(need.value)', which \(settled.status.pastTense)")
                return NodeOutcome(status: .skipped, chain: chain)
            }
            chain = ChainLink.longest([chain, settled.chain])
        }
        if Task.isCancelled {
            let status = scope.cancelledStatus
            settleUnrun(node, status: status, reason: "cancelled before it started")
            return NodeOutcome(status: status, chain: chain)
        }
        switch node {
        case .step(let step):
            return await runStep(step, scope: scope, item: nil, after: chain)
        case .sequence(let lane):
            let outcome = await runList(lane.steps, scope: scope, after: chain)
            board.publish(
                lane.id, Settlement(status: outcome.status, laneItems: lane.steps.map(\.id), chain: outcome.chain))
            journal.updateBlock(lane.id) { block in
                block.status = outcome.status
                block.succeeded = lane.steps.filter { board.settlement(of: $0.id)?.status == .succeeded }.count
            }
            return outcome
        case .parallel(let block):
            return await runParallel(block, scope: scope, after: chain)
        case .map(let map):
            return await runMap(map, scope: scope, after: chain)
        case .reduce(let reduce):
            return runReduce(reduce, after: chain)
        }
    }

    /// Runs items in order, each after the one before; once one does not succeed, the
    /// rest are skipped and the list ends with that item's status.
    func runList(_ items: [StepNode], scope: ExecutionScope, after entry: ChainLink?) async -> NodeOutcome {
        var chain = entry
        for (position, item) in items.enumerated() {
            let outcome = await run(item, scope: scope, after: chain)
            chain = outcome.chain ?? chain
            guard outcome.status == .succeeded else {
                for later in items[(position + 1)...] {
                    settleUnrun(
                        later, status: .skipped, reason: "comes after '\(item.id)', which \(outcome.status.pastTense)")
                }
                return NodeOutcome(status: outcome.status, chain: chain)
            }
        }
        return NodeOutcome(status: .succeeded, chain: chain)
    }

    /// Ends a node that never ran, with everything inside it, so that nothing waiting on
    /// any of them waits forever.
    func settleUnrun(_ node: StepNode, status: NodeStatus, reason: String) {
        switch node {
        case .step, .reduce:
            settleUnrunStep(node.id, status: status, reason: reason)
        case .sequence(let lane):
            for item in lane.steps { settleUnrun(item, status: status, reason: reason) }
            board.publish(lane.id, Settlement(status: status, laneItems: lane.steps.map(\.id)))
            settleUnrunBlock(lane.id, status: status, reason: reason)
        case .parallel(let block):
            let ids = branchIDs(of: block)
            switch block.branches {
            case .steps(let children):
                for child in children { settleUnrun(child, status: status, reason: reason) }
            case .repeat:
                for id in ids { settleUnrunStep(id, status: status, reason: reason) }
            }
            board.publish(block.id, Settlement(status: status, branches: ids))
            settleUnrunBlock(block.id, status: status, reason: reason)
        case .map(let map):
            board.publish(map.id, Settlement(status: status, branches: []))
            settleUnrunBlock(map.id, status: status, reason: reason)
        }
    }

    func settleUnrunStep(_ id: String, status: NodeStatus, reason: String) {
        journal.updateStep(id) { entry in
            entry.status = status
            entry.error = reason
        }
        board.publish(id, Settlement(status: status))
        events.emit(.stepFinished, step: id, status: .node(status), error: reason)
    }

    private func settleUnrunBlock(_ id: String, status: NodeStatus, reason: String) {
        journal.updateBlock(id) { block in
            block.status = status
            block.error = reason
        }
    }

    func branchIDs(of block: ParallelSpec) -> [String] {
        switch block.branches {
        case .steps(let children): children.map(\.id)
        case .repeat(let count, _): (0..<count).map { "\(block.id).\($0)" }
        }
    }
}
