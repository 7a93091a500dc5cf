/// How an operation raced against a deadline ended.
enum DeadlineOutcome<Value: Sendable>: Sendable {
    case finished(Value)
    case deadlinePassed
}

/// Runs `operation` with our own deadline: a child task sleeps on the run's clock and the
/// loser is cancelled. URLSession's own timeout is whole seconds and idle-only
/// (docs/architecture.md, "Platform facts"), so per-attempt timeouts cannot be delegated
/// to it.
func withDeadline<Value: Sendable>(
    _ timeout: Duration?, clock: RunClock, _ operation: @escaping @Sendable () async -> Value
) async -> DeadlineOutcome<Value> {
    let (value, deadlinePassed) = await withDeadline(timeout, clock: clock, onDeadline: {}, operation)
    return deadlinePassed ? .deadlinePassed : .finished(value)
}

/// The one race of work against a sleeping child, for attempts, blocks and the run: when
/// the deadline passes first, `onDeadline` runs (a scope records why it is being
/// cancelled, so what was running ends `timed_out` rather than `cancelled`), then the
/// operation is cancelled and its own value still awaited, for what it had finished.
///
/// Cancelling the caller cancels both; that is not a deadline.
func withDeadline<Value: Sendable>(
    _ timeout: Duration?, clock: RunClock, onDeadline: @escaping @Sendable () -> Void,
    _ operation: @escaping @Sendable () async -> Value
) async -> (value: Value, deadlinePassed: Bool) {
    guard let timeout else { return (await operation(), false) }
    // nil is the sleeper cancelled: the operation ended first, or the caller was cancelled.
    return await withTaskGroup(of: DeadlineOutcome<Value>?.self) { group in
        group.addTask { .finished(await operation()) }
        group.addTask {
            do { try await clock.sleep(for: timeout) } catch { return nil }
            onDeadline()
            return .deadlinePassed
        }
        var deadlinePassed = false
        while let event = await group.next() {
            switch event {
            case .finished(let value)?:
                group.cancelAll()
                return (value, deadlinePassed)
            case .deadlinePassed?:
                deadlinePassed = true
                group.cancelAll()
            case nil:
                continue
            }
        }
        preconditionFailure("the operation's task always finishes, and the loop returns its value")
    }
}
