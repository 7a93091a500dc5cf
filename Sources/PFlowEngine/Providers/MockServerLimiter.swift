import PFlowSpec
import Synchronization

/// The server a mock provider pretends to be, enforcing its `server_limits` by the rule
/// pflow-mock-server's `--rpm`/`--tpm` follow (`ServerRateBuckets`: per model, a minute's
/// requests and tokens, refilling continuously): a request over either is answered with a
/// 429 and a `retry-after`, and every answer carries the limits, what remains and when
/// each is full again, as OpenAI's headers do, so the engine's limiter learns from them
/// offline.
///
/// Time is the run's clock, so a test drives the refill by hand.
final class MockServerLimiter: Sendable {
    private let limits: ProviderSpec.ServerLimits
    private let clock: RunClock
    private let buckets = Mutex<[String: ServerRateBuckets]>([:])

    init?(_ limits: ProviderSpec.ServerLimits?, clock: RunClock) {
        guard let limits, limits.requestsPerMinute != nil || limits.tokensPerMinute != nil else { return nil }
        self.limits = limits
        self.clock = clock
    }

    /// Takes one request and `tokens` from `model`'s buckets: what the answer's headers
    /// would say, or the 429 when either bucket is short.
    func admit(model: String, tokens: Int, provider: String) -> Result<RateLimitStatus, ProviderError> {
        let now = clock.now()
        let (retryAfter, left) = buckets.withLock { buckets in
            var bucket =
                buckets[model]
                ?? ServerRateBuckets(
                    requestsPerMinute: limits.requestsPerMinute, tokensPerMinute: limits.tokensPerMinute, now: now)
            let retryAfter = bucket.admit(tokens: tokens, now: now)
            buckets[model] = bucket
            return (retryAfter, bucket)
        }
        let status = RateLimitStatus(
            requestLimit: limits.requestsPerMinute, tokenLimit: limits.tokensPerMinute,
            remainingRequests: left.remainingRequests, remainingTokens: left.remainingTokens,
            requestsReset: left.requestsFullIn.map(Self.milliseconds),
            tokensReset: left.tokensFullIn.map(Self.milliseconds))
        guard let retryAfter else { return .success(status) }
        var error = ProviderError(
            .rateLimited, "mock provider '\(provider)': over its server_limits", httpStatus: 429,
            retryAfter: Self.milliseconds(retryAfter))
        error.rateLimit = status
        return .failure(error)
    }

    /// Whole milliseconds, rounded up as the servers' headers are.
    private static func milliseconds(_ seconds: Double) -> Duration {
        .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }
}
