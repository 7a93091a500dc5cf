import Foundation
import PFlowSpec
import Testing

@testable import PFlowEngine

/// `tokens_per_minute` beside `requests_per_minute`, and limits that listen to the server:
/// time is the test's, advanced by hand.
@Suite struct RateLimiterTests {
    @Test func tokensWaitForTheMinuteBucketToRefill() async throws {
        let clock = ManualClock()
        // 600 a minute: a bucket of 600 that refills 10 a second.
        let limiter = RateLimiter(requestsPerMinute: nil, tokensPerMinute: 600, clock: RunClock(clock))
        try await limiter.acquire(tokens: 400)
        try await limiter.acquire(tokens: 200)
        #expect(clock.requestedSleeps.isEmpty)
        async let next: Void = limiter.acquire(tokens: 100)
        try await clock.pass(.seconds(10))
        try await next
        #expect(clock.requestedSleeps == [.seconds(10)])
    }

    @Test func anAttemptWaitsForBothLimits() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: 60, tokensPerMinute: 6000, clock: RunClock(clock))
        try await limiter.acquire(tokens: 100)
        // The request bucket (one a second) is the tighter one here.
        async let next: Void = limiter.acquire(tokens: 100)
        try await clock.pass(.seconds(1))
        try await next
        #expect(clock.requestedSleeps == [.seconds(1)])
    }

    @Test func usageBeyondTheEstimateIsChargedAfterwards() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: nil, tokensPerMinute: 600, clock: RunClock(clock))
        try await limiter.acquire(tokens: 500)
        limiter.observe(
            response: CompletionResponse(text: "x", usage: TokenUsage(inputTokens: 500, outputTokens: 100)),
            failure: nil, reserved: 500)
        async let next: Void = limiter.acquire(tokens: 50)
        try await clock.pass(.seconds(5))
        try await next
    }

    @Test func aSpentLimitInTheHeadersPausesEveryRequestUntilItsReset() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: nil, clock: RunClock(clock))
        var answer = CompletionResponse(text: "x", usage: TokenUsage())
        answer.rateLimit = RateLimitStatus(remainingRequests: 0, remainingTokens: 900, requestsReset: .seconds(3))
        limiter.observe(response: answer, failure: nil, reserved: 0)
        async let next: Void = limiter.acquire(tokens: 10)
        try await clock.pass(.seconds(3))
        try await next
        // With room left, the headers pause nothing.
        answer.rateLimit = RateLimitStatus(remainingRequests: 5, requestsReset: .seconds(3))
        limiter.observe(response: answer, failure: nil, reserved: 0)
        try await limiter.acquire()
        #expect(clock.requestedSleeps == [.seconds(3)])
    }

    @Test func the429PausesTheProviderAndCatchesWaitersAlreadyAsleep() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: 60, clock: RunClock(clock))
        try await limiter.acquire()
        // The next request waits its second; meanwhile a 429 asks for five.
        async let next: Void = limiter.acquire()
        try await clock.sleeping(for: .seconds(1))
        var refusal = ProviderError(.rateLimited, "slow down", httpStatus: 429, retryAfter: .seconds(5))
        refusal.rateLimit = RateLimitStatus(remainingTokens: 0, tokensReset: .seconds(2))
        limiter.observe(response: nil, failure: refusal, reserved: 0)
        clock.advance(by: .seconds(1))
        try await clock.pass(.seconds(4))
        try await next
        #expect(clock.requestedSleeps == [.seconds(1), .seconds(4)])
    }

    /// A limit the file does not declare is learnt from the headers: the next attempt is
    /// paced as if `tokens_per_minute` had said it.
    @Test func anUndeclaredLimitIsLearntFromTheHeaders() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: nil, clock: RunClock(clock))
        try await limiter.acquire(tokens: 1000)
        var answer = CompletionResponse(text: "x", usage: TokenUsage())
        answer.rateLimit = RateLimitStatus(tokenLimit: 600, remainingTokens: 40, tokensReset: .seconds(56))
        limiter.observe(response: answer, failure: nil, reserved: 0)
        // 40 remain, refilling 10 a second: 100 tokens come in 6 s.
        async let next: Void = limiter.acquire(tokens: 100)
        try await clock.pass(.seconds(6))
        try await next
        #expect(clock.requestedSleeps == [.seconds(6)])
    }

    @Test func aServerDelayBeyondAMinuteIsCapped() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: nil, clock: RunClock(clock))
        limiter.observe(
            response: nil, failure: ProviderError(.rateLimited, "wait", httpStatus: 429, retryAfter: .seconds(3600)),
            reserved: 0)
        async let next: Void = limiter.acquire()
        try await clock.pass(RetryPolicy.maxServerDelay)
        try await next
    }

    @Test func openAIHeadersAreRead() throws {
        let response = HTTPResponse(
            status: 200,
            headers: [
                "x-ratelimit-remaining-requests": "59", "x-ratelimit-remaining-tokens": "0",
                "x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0.5s",
            ], body: Data())
        let status = try #require(RateLimitStatus(response))
        #expect(status.remainingRequests == 59 && status.remainingTokens == 0)
        #expect(status.requestsReset == .seconds(1) && status.tokensReset == .milliseconds(360_500))
        #expect(status.exhaustedFor == .milliseconds(360_500))
    }

    @Test func anthropicHeadersAreRead() throws {
        let now = Date(timeIntervalSince1970: 1_767_225_600)
        let response = HTTPResponse(
            status: 429,
            headers: [
                "anthropic-ratelimit-requests-remaining": "0",
                "anthropic-ratelimit-requests-reset": "2026-01-01T00:00:02Z",
                "anthropic-ratelimit-tokens-remaining": "1200",
                "anthropic-ratelimit-tokens-reset": "2026-01-01T00:00:01.500Z",
            ], body: Data())
        let status = try #require(RateLimitStatus(response, now: now))
        #expect(status.remainingRequests == 0 && status.remainingTokens == 1200)
        #expect(status.requestsReset == .seconds(2) && status.tokensReset == .milliseconds(1500))
        #expect(status.exhaustedFor == .seconds(2))
        #expect(status.longestReset == .seconds(2))
        #expect(RateLimitStatus(HTTPResponse(status: 200, headers: [:], body: Data())) == nil)
    }

    @Test(arguments: [
        ("20ms", Duration.milliseconds(20)), ("1s", .seconds(1)), ("1.5s", .milliseconds(1500)),
        ("6m0s", .seconds(360)), ("1h2m3s", .seconds(3723)),
    ])
    func goDurations(_ text: String, _ expected: Duration) {
        #expect(RateLimitStatus.goDuration(text) == expected)
    }

    @Test(arguments: ["", "5", "1x", "s", "-1s"])
    func notGoDurations(_ text: String) {
        #expect(RateLimitStatus.goDuration(text) == nil)
    }
}
