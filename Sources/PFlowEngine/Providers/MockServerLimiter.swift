import PFlowSpec
import Synchronization

/// The server a mock provider pretends to be, enforcing its `server_limits` the way
/// pflow-mock-server's `--rpm`/`--tpm` do: per model, a bucket of a minute's requests and
/// one of a minute's tokens, refilling continuously; a request takes one and its estimated
/// input plus `max_tokens` when both have enough, and is answered with a 429 and a
/// `retry-after` otherwise. Every answer carries the limits, what remains and when each is
/// full again, as OpenAI's headers do, so the engine's limiter learns from them offline.
///
/// Time is the run's clock, so a test drives the refill by hand.
final class MockServerLimiter: Sendable {
    private struct Buckets {
        var requests: Double
        var tokens: Double
        var updated: Duration
    }

    private let requestsPerMinute: Int?
    private let tokensPerMinute: Int?
    private let clock: RunClock
    private let buckets = Mutex<[String: Buckets]>([:])

    init?(_ limits: ProviderSpec.ServerLimits?, clock: RunClock) {
        guard let limits, limits.requestsPerMinute != nil || limits.tokensPerMinute != nil else { return nil }
        requestsPerMinute = limits.requestsPerMinute
        tokensPerMinute = limits.tokensPerMinute
        self.clock = clock
    }

    /// Takes one request and `tokens` from `model`'s buckets: what the answer's headers
    /// would say, or the 429 when either bucket is short.
    func admit(model: String, tokens: Int, provider: String) -> Result<RateLimitStatus, ProviderError> {
        let now = clock.now()
        let requestLimit = Double(requestsPerMinute ?? 0)
        let tokenLimit = Double(tokensPerMinute ?? 0)
        let cost = Double(tokens)
        let (admitted, left) = buckets.withLock { buckets in
            var bucket = buckets[model] ?? Buckets(requests: requestLimit, tokens: tokenLimit, updated: now)
            let minutes = max(0, (now - bucket.updated).seconds / 60)
            bucket.requests = min(requestLimit, bucket.requests + minutes * requestLimit)
            bucket.tokens = min(tokenLimit, bucket.tokens + minutes * tokenLimit)
            bucket.updated = now
            let fits =
                (requestsPerMinute == nil || bucket.requests >= 1) && (tokensPerMinute == nil || bucket.tokens >= cost)
            if fits {
                bucket.requests -= 1
                bucket.tokens -= cost
            }
            buckets[model] = bucket
            return (fits, bucket)
        }
        let status = RateLimitStatus(
            requestLimit: requestsPerMinute, tokenLimit: tokensPerMinute,
            remainingRequests: requestsPerMinute.map { _ in max(0, Int(left.requests.rounded(.down))) },
            remainingTokens: tokensPerMinute.map { _ in max(0, Int(left.tokens.rounded(.down))) },
            requestsReset: requestsPerMinute.map { Self.untilFull(left.requests, perMinute: $0) },
            tokensReset: tokensPerMinute.map { Self.untilFull(left.tokens, perMinute: $0) })
        if admitted { return .success(status) }
        let requestWait = requestsPerMinute.map { (1 - left.requests) * 60 / Double($0) } ?? 0
        let tokenWait = tokensPerMinute.map { (cost - left.tokens) * 60 / Double($0) } ?? 0
        let wait = Duration.milliseconds(Int64((max(requestWait, tokenWait, 0.001) * 1000).rounded(.up)))
        var error = ProviderError(
            .rateLimited, "mock provider '\(provider)': over its server_limits", httpStatus: 429, retryAfter: wait)
        error.rateLimit = status
        return .failure(error)
    }

    /// Full again once the missing part has refilled at `perMinute`.
    private static func untilFull(_ remaining: Double, perMinute: Int) -> Duration {
        let seconds = (Double(perMinute) - max(remaining, 0)) * 60 / Double(perMinute)
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }
}
