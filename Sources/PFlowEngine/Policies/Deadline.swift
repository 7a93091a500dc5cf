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
    guard let timeout else { return .finished(await operation()) }
    return await withTaskGroup(of: DeadlineOutcome<Value>?.self) { group in
        group.addTask { .finished(await operation()) }
        group.addTask {
            do {
                try await clock.sleep(for: timeout)
                return .deadlinePassed
            } catch {
                return nil
            }
        }
        var outcome: DeadlineOutcome<Value> = .deadlinePassed
        while let next = await group.next() {
            // nil is the sleeper cancelled from outside: wait for the operation's answer.
            guard let next else { continue }
            outcome = next
            group.cancelAll()
            break
        }
        return outcome
    }
}
