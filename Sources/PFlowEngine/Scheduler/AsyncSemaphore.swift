import Synchronization

/// A counting semaphore for async code: waiters are served first come, first served.
///
/// Every concurrency limit (run, block, map, provider) is one of these, acquired per attempt
/// so that a step sleeping in backoff holds no slot. A waiter whose task is cancelled leaves
/// the queue at once and never takes a permit, so cancelling thousands of queued branches
/// cannot leak capacity.
public final class AsyncSemaphore: Sendable {
    private struct State {
        var available: Int
        var nextTicket: UInt64 = 0
        /// Tickets in arrival order; a ticket whose waiter left is skipped lazily, so that
        /// cancelling a waiter is O(1) and cancelling all of them is O(n).
        var queue: [UInt64] = []
        var head = 0
        var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]

        mutating func popWaiter() -> CheckedContinuation<Void, any Error>? {
            while head < queue.count {
                let ticket = queue[head]
                head += 1
                if let waiter = waiters.removeValue(forKey: ticket) {
                    compactIfWorthIt()
                    return waiter
                }
            }
            queue.removeAll(keepingCapacity: true)
            head = 0
            return nil
        }

        mutating func compactIfWorthIt() {
            if head > 1024 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
        }
    }

    private enum Admission {
        case granted
        case cancelled
        case queued
    }

    private let state: Mutex<State>
    /// The permits it started with.
    public let capacity: Int

    public init(permits: Int) {
        capacity = max(1, permits)
        state = Mutex(State(available: capacity))
    }

    /// Waits for a permit. Throws `CancellationError` if the task is cancelled first, in
    /// which case no permit is held.
    public func acquire() async throws {
        let fast = state.withLock { s -> Bool in
            guard s.available > 0, s.waiters.isEmpty else { return false }
            s.available -= 1
            return true
        }
        if fast { return }

        let ticket = state.withLock { s -> UInt64 in
            defer { s.nextTicket += 1 }
            return s.nextTicket
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let admission = state.withLock { s -> Admission in
                    // The cancellation handler may have run before we got here: it found no
                    // waiter to remove, so this side must notice the flag itself.
                    if Task.isCancelled { return .cancelled }
                    if s.available > 0 && s.waiters.isEmpty {
                        s.available -= 1
                        return .granted
                    }
                    s.waiters[ticket] = continuation
                    s.queue.append(ticket)
                    return .queued
                }
                switch admission {
                case .granted: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: ticket) }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Returns a permit: hands it to the longest waiting task, if any.
    public func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            if let waiter = s.popWaiter() { return waiter }
            s.available += 1
            return nil
        }
        next?.resume()
    }

    /// Permits not held by anyone, for tests and diagnostics.
    public var availablePermits: Int { state.withLock { $0.available } }

    /// Tasks queued for a permit, for tests and diagnostics.
    public var waitingCount: Int { state.withLock { $0.waiters.count } }
}
