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

    private struct Sleeper {
        var id: Int
        var deadline: Instant
        var requested: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Watcher {
        var id: Int
        var requested: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID = 0
        var sleepers: [Sleeper] = []
        var cancelled: Set<Int> = []
        var watchers: [Watcher] = []
        /// Every sleep asked for, in order.
        var requested: [Duration] = []
    }

    private let state = Mutex(State())

    var now: Instant { state.withLock { $0.now } }
    var minimumResolution: Duration { .zero }

    /// Every sleep the engine asked for, in order.
    var requestedSleeps: [Duration] { state.withLock { $0.requested } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (ready, watchers) = state.withLock { state -> (Bool?, [Watcher]) in
                    if state.cancelled.remove(id) != nil { return (false, []) }
                    let requested = state.now.duration(to: deadline)
                    state.requested.append(requested)
                    if deadline <= state.now { return (true, []) }
                    state.sleepers.append(
                        Sleeper(id: id, deadline: deadline, requested: requested, continuation: continuation))
                    let woken = state.watchers.filter { $0.requested == requested }
                    state.watchers.removeAll { $0.requested == requested }
                    return (nil, woken)
                }
                switch ready {
                case true?: continuation.resume()
                case false?: continuation.resume(throwing: CancellationError())
                case nil: for watcher in watchers { watcher.continuation.resume() }
                }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else {
                    state.cancelled.insert(id)
                    return nil
                }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come, earliest first.
    func advance(by duration: Duration) {
        let woken = state.withLock { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    /// Returns once something sleeps for exactly `duration` (and is still asleep).
    func sleeping(for duration: Duration) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let ready = state.withLock { state -> Bool? in
                    if state.cancelled.remove(id) != nil { return false }
                    if state.sleepers.contains(where: { $0.requested == duration }) { return true }
                    state.watchers.append(Watcher(id: id, requested: duration, continuation: continuation))
                    return nil
                }
                switch ready {
                case true?: continuation.resume()
                case false?: continuation.resume(throwing: CancellationError())
                case nil: break
                }
            }
        } onCancel: {
            let watcher = state.withLock { state -> Watcher? in
                guard let index = state.watchers.firstIndex(where: { $0.id == id }) else {
                    state.cancelled.insert(id)
                    return nil
                }
                return state.watchers.remove(at: index)
            }
            watcher?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Waits for each sleep in turn and moves time past it: the sleeps the engine is
    /// expected to make, in order.
    func pass(_ sleeps: Duration...) async throws {
        for duration in sleeps {
            try await sleeping(for: duration)
            advance(by: duration)
        }
    }
}
