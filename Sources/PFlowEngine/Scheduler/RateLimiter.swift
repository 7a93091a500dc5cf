import PFlowSpec
import Synchronization

/// A provider's `requests_per_minute` and `tokens_per_minute`, and what its server says.
///
/// Declared requests are spread evenly: their bucket holds at most one second's worth (at
/// least one request) and refills continuously, so a fan-out of hundreds does not burst a
/// minute's budget into the first second. Declared tokens fill a bucket of a whole minute,
/// as OpenAI and the mock server count them: each attempt takes its estimated input plus
/// `max_tokens` when it is admitted, and more if the server reports more (never less: the
/// servers charge the limit with `max_tokens` at admission too). Each caller reserves the
/// next free slot in both (a balance may go negative) and sleeps until it comes, which
/// keeps arrival order without a queue.
///
/// The server's headers adjust it for every request, not just the one refused. A limit
/// the file does not declare is learnt from them (a bucket of the server's size, holding
/// what the server says remains); a bucket never holds more than the server says remains;
/// and a limit the headers say is spent, or a 429, pauses the whole provider until the
/// reset, so in-flight branches do not retry into the same wall one by one.
final class RateLimiter: Sendable {
    private struct Bucket {
        var perSecond: Double
        var capacity: Double
        var balance: Double
        /// From the server's headers, not the file: the headers may resize it.
        var learnt: Bool

        init(perMinute: Int, capacity: Double, learnt: Bool = false) {
            perSecond = Double(max(1, perMinute)) / 60
            self.capacity = capacity
            balance = capacity
            self.learnt = learnt
        }

        mutating func refill(seconds: Double) {
            balance = min(capacity, balance + seconds * perSecond)
        }

        /// Takes `cost`; the seconds until the balance is back to zero.
        mutating func take(_ cost: Double) -> Double {
            balance -= cost
            return balance < 0 ? -balance / perSecond : 0
        }

        /// The server's view: its limit (for a learnt bucket) and what remains of it.
        mutating func adjust(limit: Int?, remaining: Int?) {
            if learnt, let limit, limit > 0 {
                perSecond = Double(limit) / 60
                capacity = Double(limit)
            }
            if let remaining { balance = min(balance, Double(remaining)) }
        }
    }

    private struct State {
        var requests: Bucket?
        var tokens: Bucket?
        var lastRefill: Duration
        /// No request is sent before this instant.
        var pausedUntil: Duration

        mutating func refill(now: Duration) {
            let elapsed = (now - lastRefill).seconds
            guard elapsed > 0 else { return }
            requests?.refill(seconds: elapsed)
            tokens?.refill(seconds: elapsed)
            lastRefill = now
        }
    }

    private let clock: RunClock
    private let state: Mutex<State>

    init(requestsPerMinute: Int?, tokensPerMinute: Int? = nil, clock: RunClock) {
        self.clock = clock
        let now = clock.now()
        state = Mutex(
            State(
                requests: requestsPerMinute.map { Bucket(perMinute: $0, capacity: RateBurst.requests(perMinute: $0)) },
                tokens: tokensPerMinute.map { Bucket(perMinute: $0, capacity: RateBurst.tokens(perMinute: $0)) },
                lastRefill: now,
                pausedUntil: now))
    }

    /// Waits until a request of `tokens` may be sent. On cancellation what it reserved is
    /// returned.
    func acquire(tokens: Int = 0) async throws {
        let cost = Double(tokens)
        let now = clock.now()
        let (wait, tookRequest, tookTokens) = state.withLock { s -> (Duration, Bool, Bool) in
            s.refill(now: now)
            let seconds = max(s.requests?.take(1) ?? 0, s.tokens?.take(cost) ?? 0)
            let wait = max(.milliseconds(Int64((seconds * 1000).rounded(.up))), s.pausedUntil - now)
            return (wait, s.requests != nil, s.tokens != nil)
        }
        do {
            if wait > .zero { try await clock.sleep(for: wait) }
            // A pause that began while this caller slept holds it too.
            while true {
                let paused = state.withLock { $0.pausedUntil } - clock.now()
                guard paused > .zero else { break }
                try await clock.sleep(for: paused)
            }
        } catch {
            state.withLock { s in
                if tookRequest { s.requests?.balance += 1 }
                if tookTokens { s.tokens?.balance += cost }
            }
            throw error
        }
    }

    /// The server reported `tokens` more than the attempt reserved.
    func charge(tokens: Int) {
        guard tokens > 0 else { return }
        state.withLock { $0.tokens?.balance -= Double(tokens) }
    }

    /// What a response's headers say: limits to learn, what remains, and a spent limit's
    /// pause until its reset.
    func observe(_ status: RateLimitStatus) {
        let now = clock.now()
        state.withLock { s in
            s.refill(now: now)
            if s.requests == nil, let limit = status.requestLimit, limit > 0 {
                s.requests = Bucket(perMinute: limit, capacity: Double(limit), learnt: true)
            }
            if s.tokens == nil, let limit = status.tokenLimit, limit > 0 {
                s.tokens = Bucket(perMinute: limit, capacity: Double(limit), learnt: true)
            }
            s.requests?.adjust(limit: status.requestLimit, remaining: status.remainingRequests)
            s.tokens?.adjust(limit: status.tokenLimit, remaining: status.remainingTokens)
            if let wait = status.exhaustedFor { s.pausedUntil = max(s.pausedUntil, now + wait) }
        }
    }

    /// A 429: nothing more is sent until `wait` has passed.
    func pause(for wait: Duration) {
        let until = clock.now() + wait
        state.withLock { $0.pausedUntil = max($0.pausedUntil, until) }
    }
}

extension RateLimiter {
    /// Adjusts the limiter after an attempt: its headers, a 429's pause, and the tokens the
    /// server reported beyond the `reserved` estimate.
    func observe(response: CompletionResponse?, failure: ProviderError?, reserved: Int) {
        if let status = response?.rateLimit ?? failure?.rateLimit { observe(status) }
        if let failure, failure.kind == .rateLimited,
            let wait = failure.retryAfter ?? failure.rateLimit?.longestReset
        {
            pause(for: min(wait, RetryPolicy.maxServerDelay))
        }
        if let usage = response?.usage ?? failure?.usage { charge(tokens: usage.total - reserved) }
    }
}
