import Synchronization

/// A block's place in the run tree: its concurrency limit and why it cancelled its
/// children, if it did.
///
/// A cancelled step asks its scopes, innermost first, for the reason: a block timeout
/// makes it `timed_out`, a policy or an interrupt makes it `cancelled`.
final class ExecutionScope: Sendable {
    let parent: ExecutionScope?
    /// The block's `max_concurrency`, counted in requests in flight.
    let limit: AsyncSemaphore?
    /// The block's `budget` (the run's, at the root).
    let budget: BudgetAccount?
    private let reason = Mutex<CancelReason?>(nil)

    init(parent: ExecutionScope?, limit: AsyncSemaphore? = nil, budget: BudgetAccount? = nil) {
        self.parent = parent
        self.limit = limit
        self.budget = budget
    }

    /// Records why this scope is about to cancel its children; the first reason stands.
    func cancel(because newReason: CancelReason) {
        reason.withLock { current in
            if current == nil { current = newReason }
        }
    }

    var cancelReason: CancelReason? {
        var scope: ExecutionScope? = self
        while let current = scope {
            if let reason = current.reason.withLock({ $0 }) { return reason }
            scope = current.parent
        }
        return nil
    }

    /// The status a step or block cancelled within this scope ends with.
    var cancelledStatus: NodeStatus { cancelReason?.cancelledStatus ?? .cancelled }

    /// The block limits a request must hold, innermost first (a fixed order across the
    /// whole tree, so that acquiring several never deadlocks).
    var limits: [AsyncSemaphore] { outward(\.limit) }

    /// Every budget an attempt here must fit in, innermost first.
    var budgets: [BudgetAccount] { outward(\.budget) }

    /// What this scope and each one around it hold of `part`, innermost first.
    private func outward<Part>(_ part: (ExecutionScope) -> Part?) -> [Part] {
        var parts: [Part] = []
        var scope: ExecutionScope? = self
        while let current = scope {
            if let value = part(current) { parts.append(value) }
            scope = current.parent
        }
        return parts
    }
}
