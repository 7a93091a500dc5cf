import Synchronization

/// How a node ended, as later nodes see it: for `needs:`, template rendering and the
/// critical path.
struct Settlement: Sendable {
    var status: NodeStatus
    /// A step's text; nil for blocks and for steps that did not succeed.
    var text: String?
    /// A block's branch ids in declaration (or index) order; nil for steps.
    var branches: [String]?
    /// The sequence's items, whose last one gives the lane's text.
    var laneItems: [String]?
    var chain: ChainLink?
}

/// One-shot settlement signals for every node of a run.
///
/// A node publishes exactly once; anyone waiting on it (`needs:`) resumes then, and later
/// readers get the value at once. One lock over a dictionary keeps each publish and read
/// O(1), which matters at ten thousand branches.
final class SettlementBoard: Sendable {
    private enum Entry {
        case settled(Settlement)
        case waiting([UInt64: CheckedContinuation<Settlement?, Never>])
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    func publish(_ id: String, _ settlement: Settlement) {
        let waiters = state.withLock { s -> [CheckedContinuation<Settlement?, Never>] in
            let previous = s.entries.updateValue(.settled(settlement), forKey: id)
            switch previous {
            case .waiting(let waiters): return Array(waiters.values)
            case .settled(let first):
                // One-shot: the first publication stands.
                s.entries[id] = .settled(first)
                return []
            case nil: return []
            }
        }
        for waiter in waiters { waiter.resume(returning: settlement) }
    }

    func settlement(of id: String) -> Settlement? {
        state.withLock { s in
            if case .settled(let settlement) = s.entries[id] { return settlement }
            return nil
        }
    }

    /// Waits until `id` settles. Returns nil if the waiting task is cancelled first.
    func wait(for id: String) async -> Settlement? {
        if let settled = settlement(of: id) { return settled }
        let ticket = state.withLock { s -> UInt64 in
            defer { s.nextWaiter += 1 }
            return s.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Settlement?, Never>) in
                let immediate = state.withLock { s -> Settlement?? in
                    if Task.isCancelled { return .some(nil) }
                    switch s.entries[id] {
                    case .settled(let settlement): return .some(settlement)
                    case .waiting(var waiters):
                        waiters[ticket] = continuation
                        s.entries[id] = .waiting(waiters)
                    case nil:
                        s.entries[id] = .waiting([ticket: continuation])
                    }
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Settlement?, Never>? in
                guard case .waiting(var waiters) = s.entries[id],
                    let waiter = waiters.removeValue(forKey: ticket)
                else { return nil }
                s.entries[id] = .waiting(waiters)
                return waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
