import Testing

@testable import PFlowEngine

/// The per-attempt deadline cancels the attempt, never the step that runs it.
@Suite("Deadlines", .timeLimit(.minutes(1)))
struct DeadlineTests {
    @Test("an operation past its deadline is cancelled; one in time returns its value")
    func deadlineCancelsOnlyTheOperation() async throws {
        let clock = ManualClock()
        async let outcome = withDeadline(.seconds(30), clock: RunClock(clock)) { () async -> Bool in
            (try? await Task.sleep(for: .seconds(3600))) == nil
        }
        try await clock.pass(.seconds(30))
        let slow = await outcome
        guard case .deadlinePassed = slow else {
            Issue.record("expected the deadline to pass, got \(slow)")
            return
        }
        // The caller itself was not cancelled: it can try again.
        #expect(!Task.isCancelled)
        let quick = await withDeadline(.seconds(30), clock: .continuous) { 42 }
        guard case .finished(let value) = quick else {
            Issue.record("expected a value, got \(quick)")
            return
        }
        #expect(value == 42)
    }

    @Test("past the deadline, the reason is recorded before the operation is cancelled, and its value kept")
    func deadlineRecordsWhyThenKeepsTheValue() async throws {
        let clock = ManualClock()
        let reason = Locked<String?>(nil)
        async let outcome = withDeadline(
            .seconds(30), clock: RunClock(clock), onDeadline: { reason.update { $0 = "timed out" } }
        ) { () async -> String in
            _ = try? await Task.sleep(for: .seconds(3600))
            return "cancelled, knowing why: \(reason.value ?? "no reason")"
        }
        try await clock.pass(.seconds(30))
        let (value, deadlinePassed) = await outcome
        #expect(deadlinePassed)
        #expect(value == "cancelled, knowing why: timed out")
    }

    @Test("cancelling the caller cancels the operation, which is not a deadline")
    func callerCancellationIsNotADeadline() async {
        let outcome = await Task {
            await withDeadline(.seconds(30), clock: .continuous) { () async -> Bool in
                (try? await Task.sleep(for: .seconds(30))) == nil
            }
        }.cancelling()
        guard case .finished(let wasCancelled) = outcome else {
            Issue.record("expected the operation's own answer, got \(outcome)")
            return
        }
        #expect(wasCancelled)
    }
}

extension Task where Failure == Never {
    /// Cancels the task once it has started and returns its value.
    fileprivate func cancelling() async -> Success {
        try? await Task<Never, Never>.sleep(for: .milliseconds(20))
        cancel()
        return await value
    }
}
