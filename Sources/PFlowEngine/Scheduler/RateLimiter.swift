import Synchronization

/// A token bucket for a provider's `requests_per_minute`.
///
/// Requests are spread evenly: the bucket holds at most one second's worth (at least one
/// token) and refills continuously, so a fan-out of hundreds does not burst a minute's
/// budget into the first second. Each caller reserves the next free slot (the balance may
/// go negative) and sleeps until it comes, which keeps arrival order without a queue.
final class RateLimiter: Sendable {
    private struct State {
        var tokens: Double
        var lastRefill: Duration
    }

    private let tokensPerSecond: Double
    private let capacity: Double
    private let clock: RunClock
    private let state: Mutex<State>

    init(requestsPerMinute: Int, clock: RunClock) {
        tokensPerSecond = Double(max(1, requestsPerMinute)) / 60
        capacity = max(1, tokensPerSecond.rounded(.down))
        self.clock = clock
        state = Mutex(State(tokens: capacity, lastRefill: clock.now()))
    }

    /// Waits until a request may be sent. On cancellation the reserved token is returned.
    func acquire() async throws {
        let now = clock.now()
        let wait = state.withLock { s -> Double in
            let elapsed = (now - s.lastRefill).seconds
            if elapsed > 0 {
                s.tokens = min(capacity, s.tokens + elapsed * tokensPerSecond)
                s.lastRefill = now
            }
            s.tokens -= 1
            return s.tokens >= 0 ? 0 : -s.tokens / tokensPerSecond
        }
        guard wait > 0 else { return }
        do {
            try await clock.sleep(for: .milliseconds(Int64((wait * 1000).rounded(.up))))
        } catch {
            state.withLock { $0.tokens += 1 }
            throw error
        }
    }
}
