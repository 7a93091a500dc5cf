import Foundation
import PFlowSpec
import Testing

@testable import PFlowEngine

/// Runs through the engine: time is a `ManualClock` the test moves past each sleep it
/// expects, so a 20 s deadline costs nothing and cannot fire early on a loaded machine.
@Suite("Policies: timeouts, retries and backoff", .timeLimit(.minutes(1)))
struct RetryPolicyTests {
    static let tinyBackoff = Backoff(initial: .milliseconds(1), max: .milliseconds(2))
    static let oneSecondBackoff = Backoff(initial: .seconds(1), max: .seconds(2))

    struct TimeoutCase: CustomTestStringConvertible, Sendable {
        var onTimeout: OnTimeout
        var attempts: Int
        var status: NodeStatus
        /// The sleeps the step makes, in order: deadlines of 20 s, backoff of 1 s (jitter 0).
        var sleeps: [Duration]
        var testDescription: String { "on_timeout: \(onTimeout.rawValue)" }
    }

    @Test(
        "on_timeout decides what a timed-out attempt leads to",
        arguments: [
            TimeoutCase(
                onTimeout: .retry, attempts: 3, status: .timedOut,
                sleeps: [.seconds(20), .seconds(1), .seconds(20), .seconds(1), .seconds(20)]),
            TimeoutCase(onTimeout: .skip, attempts: 1, status: .skipped, sleeps: [.seconds(20)]),
            TimeoutCase(onTimeout: .fail, attempts: 1, status: .timedOut, sleeps: [.seconds(20)]),
        ])
    func onTimeout(_ example: TimeoutCase) async throws {
        let provider = ScriptedProvider { _ throws(ProviderError) in try await ScriptedProvider.hang() }
        let workflow = Build.workflow([
            Build.step(
                "slow", timeout: .seconds(20), retries: 2, backoff: Self.oneSecondBackoff,
                onTimeout: example.onTimeout)
        ])
        let test = TestRun()
        let clock = ManualClock()
        async let outcome = test.run(workflow, providers: ["mock": provider], clock: clock)
        for sleep in example.sleeps { try await clock.pass(sleep) }
        let (summary, run) = try await outcome
        #expect(summary.status == .failed)
        #expect(provider.attempts(of: "slow") == example.attempts)
        let record = try test.record(run, step: "slow")
        #expect(record.status == example.status)
        #expect(record.attempts.count == example.attempts)
        #expect(record.attempts.allSatisfy { $0.status == .timedOut && $0.error?.kind == "timeout" })
        #expect(record.attempts.map(\.durationSeconds) == Array(repeating: 20, count: example.attempts))
    }

    @Test("a timeout then a success: the retry succeeds")
    func retryAfterTimeoutSucceeds() async throws {
        let provider = ScriptedProvider { request throws(ProviderError) in
            if request.attempt == 1 { try await ScriptedProvider.hang() }
            return ScriptedProvider.answer(request)
        }
        let workflow = Build.workflow([
            Build.step("flaky", timeout: .seconds(20), backoff: Self.oneSecondBackoff)
        ])
        let test = TestRun()
        let clock = ManualClock()
        async let outcome = test.run(workflow, providers: ["mock": provider], clock: clock)
        // The second attempt's 20 s deadline is never passed: its answer is all that ends it.
        try await clock.pass(.seconds(20), .seconds(1))
        let (summary, run) = try await outcome
        #expect(summary.status == .succeeded)
        let attempts = try test.record(run, step: "flaky").attempts
        #expect(attempts.map(\.status) == [.timedOut, .succeeded])
        #expect(attempts.map(\.delayBeforeSeconds) == [0, 1])
    }

    @Test("retries stop at the limit")
    func retriesStopAtLimit() async throws {
        let provider = ScriptedProvider { _ throws(ProviderError) in
            throw ProviderError(.server, "overloaded", httpStatus: 503)
        }
        let workflow = Build.workflow([Build.step("down", retries: 3, backoff: Self.tinyBackoff)])
        let test = TestRun()
        let (summary, run) = try await test.run(workflow, providers: ["mock": provider])
        #expect(summary.status == .failed)
        #expect(provider.attempts(of: "down") == 4)
        let record = try test.record(run, step: "down")
        #expect(record.status == .failed)
        #expect(record.attempts.map(\.httpStatus) == [503, 503, 503, 503])
        #expect(record.error?.kind == "server")
    }

    @Test("no retry on a non-retryable error", arguments: [400, 401, 403, 404])
    func noRetryOnClientErrors(status: Int) async throws {
        let provider = ScriptedProvider { _ throws(ProviderError) in
            throw ProviderError(.client, "rejected", httpStatus: status)
        }
        let workflow = Build.workflow([Build.step("rejected", retries: 5, backoff: Self.tinyBackoff)])
        let test = TestRun()
        let (summary, run) = try await test.run(workflow, providers: ["mock": provider])
        #expect(summary.status == .failed)
        #expect(provider.attempts(of: "rejected") == 1)
        #expect(try test.record(run, step: "rejected").attempts.first?.httpStatus == status)
    }

    @Test("backoff honours Retry-After")
    func retryAfterWins() async throws {
        let provider = ScriptedProvider { request throws(ProviderError) in
            if request.attempt == 1 {
                throw ProviderError(.rateLimited, "slow down", httpStatus: 429, retryAfter: .seconds(30))
            }
            return ScriptedProvider.answer(request)
        }
        let workflow = Build.workflow([Build.step("limited", backoff: Self.oneSecondBackoff)])
        let test = TestRun()
        let clock = ManualClock()
        async let outcome = test.run(workflow, providers: ["mock": provider], clock: clock)
        try await clock.pass(.seconds(30))
        let (summary, run) = try await outcome
        #expect(summary.status == .succeeded)
        #expect(try test.record(run, step: "limited").attempts.map(\.delayBeforeSeconds) == [0, 30])
    }

    @Test("a Retry-After above the cap fails the step at once, naming the server's value")
    func retryAfterAboveCapFails() async throws {
        let provider = ScriptedProvider { _ throws(ProviderError) in
            throw ProviderError(.rateLimited, "quota exhausted", httpStatus: 429, retryAfter: .seconds(3600))
        }
        let workflow = Build.workflow([Build.step("limited", retries: 5, backoff: Self.oneSecondBackoff)])
        let test = TestRun()
        let (summary, run) = try await test.run(workflow, providers: ["mock": provider], clock: ManualClock())
        #expect(summary.status == .failed)
        #expect(provider.attempts(of: "limited") == 1)
        let record = try test.record(run, step: "limited")
        #expect(record.attempts.map(\.httpStatus) == [429])
        #expect(
            record.error?.message
                == "quota exhausted; the server asked to retry after 3600 s, more than pflow waits (60 s)")
        #expect(record.error?.retryable == false)
    }

    @Test("exponential backoff grows from initial, is capped at max, and jitters in between")
    func backoffBounds() {
        let backoff = Backoff(initial: .milliseconds(500), max: .seconds(4))
        #expect(backoff.delay(afterAttempt: 1, retryAfter: nil) { 0.999 } <= .milliseconds(500))
        #expect(backoff.delay(afterAttempt: 3, retryAfter: nil) { 1 } == .seconds(2))
        #expect(backoff.delay(afterAttempt: 10, retryAfter: nil) { 1 } == .seconds(4))
        #expect(backoff.delay(afterAttempt: 10, retryAfter: nil) { 0 } == .milliseconds(500))
        #expect(backoff.delay(afterAttempt: 2, retryAfter: .seconds(7)) { 0.5 } == .seconds(7))
    }
}

@Suite("RetryPolicy.decide: the retry decision alone")
struct RetryDecisionTests {
    static let backoff = Backoff(initial: .seconds(1), max: .seconds(8))
    static let policy = RetryPolicy(maxAttempts: 3, backoff: backoff, onTimeout: .retry)

    static func error(_ kind: ProviderError.Kind, retryAfter: Duration? = nil) -> RetryPolicy.Failure {
        .error(ProviderError(kind, "x", retryAfter: retryAfter))
    }

    @Test("a timeout follows on_timeout, retrying only while attempts remain")
    func timeouts() {
        #expect(Self.policy.decide(after: .timedOut, attempt: 1) { 0 } == .retry(after: .seconds(1)))
        #expect(Self.policy.decide(after: .timedOut, attempt: 2) { 1 } == .retry(after: .seconds(2)))
        #expect(Self.policy.decide(after: .timedOut, attempt: 3) { 0 } == .stop(.timedOut))
        var skip = Self.policy
        skip.onTimeout = .skip
        #expect(skip.decide(after: .timedOut, attempt: 1) { 0 } == .stop(.skipped))
        var fail = Self.policy
        fail.onTimeout = .fail
        #expect(fail.decide(after: .timedOut, attempt: 1) { 0 } == .stop(.timedOut))
    }

    @Test("an error is retried only when its kind is retryable and attempts remain")
    func errors() {
        #expect(Self.policy.decide(after: Self.error(.server), attempt: 1) { 0.5 } == .retry(after: .seconds(1)))
        #expect(Self.policy.decide(after: Self.error(.client), attempt: 1) { 0 } == .stop(.failed))
        #expect(Self.policy.decide(after: Self.error(.server), attempt: 3) { 0 } == .stop(.failed))
    }

    @Test("Retry-After is honoured up to 60 s, over the backoff")
    func retryAfterUpToTheCap() {
        #expect(RetryPolicy.maxServerDelay == .seconds(60))
        let thirty = Self.error(.rateLimited, retryAfter: .seconds(30))
        #expect(Self.policy.decide(after: thirty, attempt: 1) { 0 } == .retry(after: .seconds(30)))
        let sixty = Self.error(.rateLimited, retryAfter: .seconds(60))
        #expect(Self.policy.decide(after: sixty, attempt: 1) { 0 } == .retry(after: .seconds(60)))
    }

    @Test("a Retry-After above the cap stops the step without waiting, saying why")
    func retryAfterAboveTheCap() {
        let hour = Self.error(.rateLimited, retryAfter: .seconds(3600))
        #expect(
            Self.policy.decide(after: hour, attempt: 1) { 0 }
                == .stop(.failed, reason: "the server asked to retry after 3600 s, more than pflow waits (60 s)"))
        let justOver = Self.error(.server, retryAfter: .milliseconds(60_500))
        #expect(
            Self.policy.decide(after: justOver, attempt: 1) { 0 }
                == .stop(.failed, reason: "the server asked to retry after 60.5 s, more than pflow waits (60 s)"))
        // On the last attempt there is nothing to wait for: the server's own error stands.
        #expect(Self.policy.decide(after: hour, attempt: 3) { 0 } == .stop(.failed))
    }
}
