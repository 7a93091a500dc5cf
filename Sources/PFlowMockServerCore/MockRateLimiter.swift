import Foundation
import Synchronization

/// Requests and tokens per minute per model, enforced the way OpenAI describes its limits:
/// buckets that refill continuously, a 429 with `retry-after` when one runs short, and the
/// limit, what remains and when it is full again on every answer.
///
/// Why per model: a provider's limits are per model, and tests give each provider its own
/// model name, as they do for `peak_in_flight`.
final class MockRateLimiter: Sendable {
    /// What the limiter decided for one request, with the headers to send either way.
    struct Decision {
        var admitted: Bool
        /// Seconds until the request would fit; nil when admitted.
        var retryAfter: Double?
        var headers: [(String, String)]
    }

    private struct Buckets {
        var requests: Double
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let requestsPerMinute: Int?
    private let tokensPerMinute: Int?
    private let buckets = Mutex<[String: Buckets]>([:])

    init?(requestsPerMinute: Int?, tokensPerMinute: Int?) {
        guard requestsPerMinute != nil || tokensPerMinute != nil else { return nil }
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
    }

    /// Takes one request and `tokens` from `model`'s buckets if both have enough.
    func admit(model: String, tokens: Int, api: MockAPI, now: ContinuousClock.Instant = .now) -> Decision {
        let requestLimit = Double(requestsPerMinute ?? 0)
        let tokenLimit = Double(tokensPerMinute ?? 0)
        let (admitted, left) = buckets.withLock { buckets in
            var bucket = buckets[model] ?? Buckets(requests: requestLimit, tokens: tokenLimit, updated: now)
            let minutes = Self.seconds(now - bucket.updated) / 60
            bucket.requests = min(requestLimit, bucket.requests + minutes * requestLimit)
            bucket.tokens = min(tokenLimit, bucket.tokens + minutes * tokenLimit)
            bucket.updated = now
            let fits =
                (requestsPerMinute == nil || bucket.requests >= 1)
                && (tokensPerMinute == nil || bucket.tokens >= Double(tokens))
            if fits {
                bucket.requests -= 1
                bucket.tokens -= Double(tokens)
            }
            buckets[model] = bucket
            return (fits, bucket)
        }
        var retryAfter: Double?
        if !admitted {
            let requestWait = requestsPerMinute.map { (1 - left.requests) * 60 / Double($0) } ?? 0
            let tokenWait = tokensPerMinute.map { (Double(tokens) - left.tokens) * 60 / Double($0) } ?? 0
            retryAfter = max(requestWait, tokenWait, 0.001)
        }
        return Decision(admitted: admitted, retryAfter: retryAfter, headers: headers(left, api: api))
    }

    private func headers(_ left: Buckets, api: MockAPI) -> [(String, String)] {
        var headers: [(String, String)] = []
        let limits: [(kind: String, limit: Int?, remaining: Double)] = [
            ("requests", requestsPerMinute, left.requests), ("tokens", tokensPerMinute, left.tokens),
        ]
        for (kind, limit, remaining) in limits {
            guard let limit else { continue }
            // Full again once the missing part has refilled at limit-per-minute.
            let reset = (Double(limit) - max(remaining, 0)) * 60 / Double(limit)
            let whole = String(max(0, Int(remaining.rounded(.down))))
            switch api {
            case .openai:
                headers += [
                    ("x-ratelimit-limit-\(kind)", String(limit)), ("x-ratelimit-remaining-\(kind)", whole),
                    ("x-ratelimit-reset-\(kind)", Self.goDuration(reset)),
                ]
            case .anthropic:
                let resetAt = Date(timeIntervalSinceNow: reset).formatted(.iso8601)
                headers += [
                    ("anthropic-ratelimit-\(kind)-limit", String(limit)),
                    ("anthropic-ratelimit-\(kind)-remaining", whole), ("anthropic-ratelimit-\(kind)-reset", resetAt),
                ]
            }
        }
        return headers
    }

    /// A duration as OpenAI's headers write it, Go's way: `20ms`, `1s`, `1.5s`, `6m0s`.
    static func goDuration(_ seconds: Double) -> String {
        let milliseconds = Int((seconds * 1000).rounded(.up))
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        let minutes = milliseconds / 60_000
        let rest = Double(milliseconds % 60_000) / 1000
        let restText = rest == rest.rounded() ? String(Int(rest)) : String(rest)
        return minutes > 0 ? "\(minutes)m\(restText)s" : "\(restText)s"
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
