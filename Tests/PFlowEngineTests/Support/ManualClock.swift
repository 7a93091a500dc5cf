import PFlowEngine
import Synchronization

/// A clock that stands still until the test moves it: every sleep waits for `advance`, so
/// deadlines, backoff and Retry-After are decided by the test, never by how fast a loaded
/// machine runs. `now` starts at zero.
///
/// Sleepers are visible (`sleeping(for:)`), so a test waits until the engine sleeps the
/// delay it expects, then moves time by exactly that much.
final class ManualClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private typealias Continuation = CheckedContinuation<Void, any Error>

    /// A task suspended on the clock: a sleeper (with a deadline), or a test waiting for a
    /// sleep of `requested` to begin (without one).
    private struct Waiter {
        var id: Int
        var requested: Duration
        var deadline: Instant?
        var continuation: Continuation
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID = 0
        var waiters: [Waiter] = []
        /// Ids cancelled before they were registered.
        var cancelled: Set<Int> = []
        /// Every sleep asked for, in order.
        var requested: [Duration] = []

        func isAsleep(for duration: Duration) -> Bool {
            waiters.contains { $0.deadline != nil && $0.requested == duration }
        }
    }

    private enum Registration {
        case resumeNow
        case wait(Waiter, waking: [Waiter])
    }

    private let state = Mutex(State())

    var now: Instant { state.withLock { $0.now } }
    var minimumResolution: Duration { .zero }

    /// Every sleep the engine asked for, in order.
    var requestedSleeps: [Duration] { state.withLock { $0.requested } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try await suspend { state, id, continuation in
            let requested = state.now.duration(to: deadline)
            state.requested.append(requested)
            if deadline <= state.now { return .resumeNow }
            let watchers = state.waiters.filter { $0.deadline == nil && $0.requested == requested }
            return .wait(
                Waiter(id: id, requested: requested, deadline: deadline, continuation: continuation), waking: watchers)
        }
    }

    /// Returns once something sleeps for exactly `duration` (and is still asleep).
    func sleeping(for duration: Duration) async throws {
        try await suspend { state, id, continuation in
            if state.isAsleep(for: duration) { return .resumeNow }
            return .wait(Waiter(id: id, requested: duration, deadline: nil, continuation: continuation), waking: [])
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come, earliest first.
    func advance(by duration: Duration) {
        let woken = state.withLock { state -> [Waiter] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.waiters.filter { $0.deadline.map { $0 <= now } ?? false }
            state.waiters.removeAll { $0.deadline.map { $0 <= now } ?? false }
            return due.sorted { ($0.deadline ?? now) < ($1.deadline ?? now) }
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    /// Waits for each sleep in turn and moves time past it: the sleeps the engine is
    /// expected to make, in order.
    func pass(_ sleeps: Duration...) async throws {
        for duration in sleeps {
            try await sleeping(for: duration)
            advance(by: duration)
        }
    }

    /// Suspends as the waiter `register` makes under the lock (waking the watchers it
    /// names), or not at all; a cancelled task throws `CancellationError`.
    private func suspend(_ register: @escaping (inout State, Int, Continuation) -> Registration) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Continuation) in
                let registration = state.withLock { state -> Registration? in
                    if state.cancelled.remove(id) != nil { return nil }
                    let registration = register(&state, id, continuation)
                    if case .wait(let waiter, let waking) = registration {
                        let woken = Set(waking.map(\.id))
                        state.waiters.removeAll { woken.contains($0.id) }
                        state.waiters.append(waiter)
                    }
                    return registration
                }
                switch registration {
                case nil: continuation.resume(throwing: CancellationError())
                case .resumeNow?: continuation.resume()
                case .wait(_, let waking)?: for watcher in waking { watcher.continuation.resume() }
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                    state.cancelled.insert(id)
                    return nil
                }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }
}
