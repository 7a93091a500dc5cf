import Foundation
import Testing

@testable import PFlowMockServerCore

/// The mock server's rate limits, with time passed in: buckets refill continuously, a
/// request that does not fit is told how long to wait, and the headers say what is left.
@Suite("Mock server rate limiter")
struct MockRateLimiterTests {
    private let start = ContinuousClock.now

    @Test func requestsRefillAtTheLimitPerMinute() throws {
        let limiter = try #require(MockRateLimiter(requestsPerMinute: 2, tokensPerMinute: nil))
        #expect(limiter.admit(model: "m", tokens: 0, api: .openai, now: start).admitted)
        #expect(limiter.admit(model: "m", tokens: 0, api: .openai, now: start).admitted)
        let refused = limiter.admit(model: "m", tokens: 0, api: .openai, now: start)
        #expect(!refused.admitted)
        #expect(refused.retryAfter == 30)
        #expect(limiter.admit(model: "other", tokens: 0, api: .openai, now: start).admitted, "limits are per model")
        #expect(limiter.admit(model: "m", tokens: 0, api: .openai, now: start + .seconds(30)).admitted)
    }

    @Test func tokensMustAllFitAndSayHowLongTheMissingOnesTake() throws {
        let limiter = try #require(MockRateLimiter(requestsPerMinute: nil, tokensPerMinute: 600))
        let first = limiter.admit(model: "m", tokens: 500, api: .openai, now: start)
        #expect(first.admitted)
        #expect(header(first, "x-ratelimit-remaining-tokens") == "100")
        #expect(header(first, "x-ratelimit-reset-tokens") == "50s")
        let second = limiter.admit(model: "m", tokens: 400, api: .openai, now: start)
        #expect(!second.admitted)
        #expect(second.retryAfter == 30)
        #expect(header(second, "x-ratelimit-limit-tokens") == "600")
        #expect(header(second, "x-ratelimit-limit-requests") == nil)
    }

    @Test func anthropicHeadersGiveTheResetAsAnRFC3339Time() throws {
        let limiter = try #require(MockRateLimiter(requestsPerMinute: 4, tokensPerMinute: 1000))
        let decision = limiter.admit(model: "claude", tokens: 100, api: .anthropic, now: start)
        #expect(header(decision, "anthropic-ratelimit-requests-limit") == "4")
        #expect(header(decision, "anthropic-ratelimit-requests-remaining") == "3")
        #expect(header(decision, "anthropic-ratelimit-tokens-remaining") == "900")
        let reset = try #require(header(decision, "anthropic-ratelimit-requests-reset"))
        let date = try Date(reset, strategy: .iso8601)
        #expect(abs(date.timeIntervalSinceNow - 15) < 5, "a quarter of the minute refills one request of four")
        #expect(header(decision, "x-ratelimit-limit-requests") == nil)
    }

    @Test func noLimitsMeansNoLimiter() {
        #expect(MockRateLimiter(requestsPerMinute: nil, tokensPerMinute: nil) == nil)
    }

    @Test(arguments: [
        (0.02, "20ms"), (1, "1s"), (1.5, "1.5s"), (59.999, "59.999s"), (60, "1m0s"), (360, "6m0s"), (90.25, "1m30.25s"),
    ])
    func resetsAreWrittenAsOpenAIWritesThem(_ seconds: Double, _ text: String) {
        #expect(MockRateLimiter.goDuration(seconds) == text)
    }

    private func header(_ decision: MockRateLimiter.Decision, _ name: String) -> String? {
        decision.headers.first { $0.0 == name }?.1
    }
}
