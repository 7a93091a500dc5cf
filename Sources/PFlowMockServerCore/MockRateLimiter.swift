import Foundation
import PFlowSpec
import Synchronization

/// Requests and tokens per minute per model, enforced the way OpenAI describes its limits
/// (`ServerRateBuckets`, the rule the built-in mock's `server_limits` shares): a 429 with
/// `retry-after` when a bucket runs short, and the limit, what remains and when it is full
/// again on every answer.
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

    private let requestsPerMinute: Int?
    private let tokensPerMinute: Int?
    /// The instant the buckets' time counts from.
    private let origin = ContinuousClock.now
    private let buckets = Mutex<[String: ServerRateBuckets]>([:])

    init?(requestsPerMinute: Int?, tokensPerMinute: Int?) {
        guard requestsPerMinute != nil || tokensPerMinute != nil else { return nil }
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
    }

    /// Takes one request and `tokens` from `model`'s buckets if both have enough.
    func admit(model: String, tokens: Int, api: MockAPI, now: ContinuousClock.Instant = .now) -> Decision {
        let elapsed = origin.duration(to: now)
        let (retryAfter, left) = buckets.withLock { buckets in
            var bucket =
                buckets[model]
                ?? ServerRateBuckets(
                    requestsPerMinute: requestsPerMinute, tokensPerMinute: tokensPerMinute, now: elapsed)
            let retryAfter = bucket.admit(tokens: tokens, now: elapsed)
            buckets[model] = bucket
            return (retryAfter, bucket)
        }
        return Decision(admitted: retryAfter == nil, retryAfter: retryAfter, headers: headers(left, api: api))
    }

    private func headers(_ left: ServerRateBuckets, api: MockAPI) -> [(String, String)] {
        var headers: [(String, String)] = []
        let limits: [(kind: String, limit: Int?, remaining: Int?, reset: Double?)] = [
            ("requests", requestsPerMinute, left.remainingRequests, left.requestsFullIn),
            ("tokens", tokensPerMinute, left.remainingTokens, left.tokensFullIn),
        ]
        for (kind, limit, remaining, reset) in limits {
            guard let limit, let remaining, let reset else { continue }
            switch api {
            case .openai:
                headers += [
                    ("x-ratelimit-limit-\(kind)", String(limit)), ("x-ratelimit-remaining-\(kind)", String(remaining)),
                    ("x-ratelimit-reset-\(kind)", Self.goDuration(reset)),
                ]
            case .anthropic:
                let resetAt = Date(timeIntervalSinceNow: reset).formatted(.iso8601)
                headers += [
                    ("anthropic-ratelimit-\(kind)-limit", String(limit)),
                    ("anthropic-ratelimit-\(kind)-remaining", String(remaining)),
                    ("anthropic-ratelimit-\(kind)-reset", resetAt),
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
}
