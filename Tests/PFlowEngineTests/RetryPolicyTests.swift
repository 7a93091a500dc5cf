import Foundation
import PFlowSpec
import Testing

@testable import PFlowEngine

@Suite("Policies: timeouts, retries and backoff")
struct RetryPolicyTests {
    static let hanging = ScriptedProvider { _ throws(ProviderError) in try await ScriptedProvider.hang() }
    static let tinyBackoff = Backoff(initial: .milliseconds(1), max: .milliseconds(2))

    struct TimeoutCase: CustomTestStringConvertible, Sendable {
        var onTimeout: OnTimeout
        var attempts: Int
        var status: NodeStatus
        var testDescription: String { "on_timeout: \(onTimeout.rawValue)" }
    }

    @Test(
        "on_timeout decides what a timed-out attempt leads to",
        arguments: [
            TimeoutCase(onTimeout: .retry, attempts: 3, status: .timedOut),
            TimeoutCase(onTimeout: .skip, attempts: 1, status: .skipped),
            TimeoutCase(onTimeout: .fail, attempts: 1, status: .timedOut),
        ])
    func onTimeout(_ example: TimeoutCase) async throws {
        let provider = ScriptedProvider { _ throws(ProviderError) in try await ScriptedProvider.hang() }
        let workflow = Build.workflow([
            Build.step(
                "slow", timeout: .milliseconds(20), retries: 2, backoff: Self.tinyBackoff,
                onTimeout: example.onTimeout)
        ])
        let test = TestRun()
        let (summary, run) = try await test.run(workflow, providers: ["mock": provider])
        #expect(summary.status == .failed)
        #expect(provider.attempts(of: "slow") == example.attempts)
        let record = try test.record(run, step: "slow")
        #expect(record.status == example.status)
        #expect(record.attempts.count == example.attempts)
        #expect(record.attempts.allSatisfy { $0.status == .timedOut && $0.error?.kind == "timeout" })
    }

    @Test("a timeout then a success: the retry succeeds")
    func retryAfterTimeoutSucceeds() async throws {
        let provider = ScriptedProvider { request throws(ProviderError) in
            if request.attempt == 1 { try await ScriptedProvider.hang() }
            return ScriptedProvider.answer(request)
        }
        let workflow = Build.workflow([Build.step("flaky", timeout: .milliseconds(20), backoff: Self.tinyBackoff)])
        let test = TestRun()
        let (summary, run) = try await test.run(workflow, providers: ["mock": provider])
        #expect(summary.status == .succeeded)
        #expect(try test.record(run, step: "flaky").attempts.map(\.status) == [.timedOut, .succeeded])
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
                throw ProviderError(.rateLimited, "slow down", httpStatus: 429, retryAfter: .milliseconds(30))
            }
            return ScriptedProvider.answer(request)
        }
        let workflow = Build.workflow([
            Build.step("limited", backoff: Backoff(initial: .milliseconds(1), max: .milliseconds(5)))
        ])
        let clock = RecordingClock()
        let test = TestRun()
        let (summary, run) = try await test.run(workflow, providers: ["mock": provider], clock: clock)
        #expect(summary.status == .succeeded)
        let attempts = try test.record(run, step: "limited").attempts
        #expect(attempts.map(\.delayBeforeSeconds) == [0, 0.03])
        // The clock saw the 30 ms sleep (the rest are attempt deadlines of 300 s).
        #expect(clock.log.all.contains { $0 > .milliseconds(25) && $0 <= .milliseconds(30) })
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
