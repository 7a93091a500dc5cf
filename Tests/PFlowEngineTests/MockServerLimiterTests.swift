import PFlowSpec
import Testing

@testable import PFlowEngine

/// A mock provider's `server_limits`, on a clock the test moves: requests over the limit are
/// answered with a 429 that carries a retry-after and the rate-limit status the HTTP
/// providers read from headers, and the buckets refill as time passes.
@Suite struct MockServerLimiterTests {
    static func request(_ step: String, maxTokens: Int = 100, model: String = "m") -> CompletionRequest {
        // A 40-byte prompt: 10 tokens at four bytes a token, plus max_tokens.
        CompletionRequest(
            model: model, system: nil, prompt: String(repeating: "word ", count: 8), maxTokens: maxTokens,
            stepID: step, attempt: 1)
    }

    static func provider(_ limits: ProviderSpec.ServerLimits, clock: ManualClock) -> MockProvider {
        MockProvider(name: "m", settings: ProviderSpec.MockSettings(serverLimits: limits), clock: RunClock(clock))
    }

    @Test func answersOverTheTokenLimitWithA429AndItsStatus() async throws {
        let clock = ManualClock()
        let provider = Self.provider(ProviderSpec.ServerLimits(tokensPerMinute: 330), clock: clock)
        let first = try await provider.complete(Self.request("a"))
        #expect(first.rateLimit?.tokenLimit == 330 && first.rateLimit?.remainingTokens == 220)
        #expect(first.rateLimit?.tokensReset == .seconds(20))
        _ = try await provider.complete(Self.request("b"))
        _ = try await provider.complete(Self.request("c"))
        await #expect(throws: ProviderError.self) { try await provider.complete(Self.request("d")) }
        do {
            _ = try await provider.complete(Self.request("d"))
        } catch {
            #expect(error.kind == .rateLimited && error.httpStatus == 429)
            // 110 tokens at 330 a minute: 20 seconds.
            #expect(error.retryAfter == .seconds(20))
            #expect(error.rateLimit?.remainingTokens == 0 && error.rateLimit?.tokensReset == .seconds(60))
        }
        clock.advance(by: .seconds(20))
        let later = try await provider.complete(Self.request("d"))
        #expect(later.rateLimit?.remainingTokens == 0)
    }

    @Test func requestsAreLimitedPerModel() async throws {
        let clock = ManualClock()
        let provider = Self.provider(ProviderSpec.ServerLimits(requestsPerMinute: 2), clock: clock)
        _ = try await provider.complete(Self.request("a"))
        _ = try await provider.complete(Self.request("b"))
        await #expect(throws: ProviderError.self) { try await provider.complete(Self.request("c")) }
        _ = try await provider.complete(Self.request("c", model: "other"))
        clock.advance(by: .seconds(30))
        let refilled = try await provider.complete(Self.request("c"))
        #expect(refilled.rateLimit?.requestLimit == 2 && refilled.rateLimit?.remainingRequests == 0)
        #expect(refilled.rateLimit?.tokenLimit == nil)
    }

    /// The engine's limiter reads the 429's status and pauses the whole provider until the
    /// retry-after, so no other attempt runs into the same wall.
    @Test func the429PausesTheEnginesLimiter() async throws {
        let clock = ManualClock()
        let runClock = RunClock(clock)
        let provider = Self.provider(ProviderSpec.ServerLimits(tokensPerMinute: 110), clock: clock)
        let limiter = RateLimiter(requestsPerMinute: nil, clock: runClock)
        let answer = try await provider.complete(Self.request("a"))
        limiter.observe(response: answer, failure: nil, reserved: 110)
        let refusal: ProviderError
        do {
            _ = try await provider.complete(Self.request("b"))
            Issue.record("the second request fit")
            return
        } catch {
            refusal = error
        }
        limiter.observe(response: nil, failure: refusal, reserved: 110)
        let waiting = Task { try await limiter.acquire(tokens: 110) }
        try await clock.sleeping(for: .seconds(60))
        clock.advance(by: .seconds(60))
        try await waiting.value
        _ = try await provider.complete(Self.request("b"))
    }
}
