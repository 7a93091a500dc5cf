import Foundation
import PFlowSpec

/// Whether a step tries again after an attempt that did not succeed, and after how long:
/// the whole decision in one pure function, so every rule is tested without a run.
///
/// The rules: a timed-out attempt follows `on_timeout`; an error is retried only when its
/// kind is retryable; attempts stop at `retries + 1`; the wait is the backoff's unless the
/// server sent Retry-After, which is honoured up to `maxServerDelay`.
struct RetryPolicy: Sendable {
    /// The longest Retry-After pflow waits. The official OpenAI and Anthropic SDKs cap it at
    /// about a minute too: a server asking for an hour has an outage or a quota, not a
    /// moment of load, and a step sleeping an hour holds the whole run.
    static let maxServerDelay: Duration = .seconds(60)

    var maxAttempts: Int
    var backoff: Backoff
    var onTimeout: OnTimeout

    init(maxAttempts: Int, backoff: Backoff, onTimeout: OnTimeout) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.onTimeout = onTimeout
    }

    init(settings: StepSettings) {
        self.init(maxAttempts: settings.retries + 1, backoff: settings.backoff, onTimeout: settings.onTimeout)
    }

    /// How an attempt that did not succeed ended.
    enum Failure: Sendable {
        case timedOut
        case error(ProviderError)
    }

    enum Decision: Sendable, Equatable {
        case retry(after: Duration)
        /// The step ends with `status`; `reason`, when given, replaces the attempt's error
        /// as the step's.
        case stop(NodeStatus, reason: String? = nil)
    }

    /// What follows `failure` in the 1-based `attempt` of this session. `unitRandom`
    /// returns the backoff's jitter, a value in 0..<1.
    func decide(after failure: Failure, attempt: Int, unitRandom: () -> Double) -> Decision {
        let attemptsLeft = attempt < maxAttempts
        switch failure {
        case .timedOut:
            switch onTimeout {
            case .skip: return .stop(.skipped)
            case .fail: return .stop(.timedOut)
            case .retry:
                guard attemptsLeft else { return .stop(.timedOut) }
                return .retry(after: backoff.delay(afterAttempt: attempt, retryAfter: nil, unitRandom: unitRandom))
            }
        case .error(let error):
            guard error.isRetryable, attemptsLeft else { return .stop(.failed) }
            if let asked = error.retryAfter, asked > Self.maxServerDelay {
                return .stop(
                    .failed,
                    reason: "the server asked to retry after \(Self.seconds(asked)) s, more than pflow waits "
                        + "(\(Self.seconds(Self.maxServerDelay)) s)")
            }
            return .retry(
                after: backoff.delay(afterAttempt: attempt, retryAfter: error.retryAfter, unitRandom: unitRandom))
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        let seconds = duration.seconds
        return seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}
