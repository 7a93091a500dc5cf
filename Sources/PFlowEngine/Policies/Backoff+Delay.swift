import PFlowSpec

extension Backoff {
    /// The wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed:
    /// exponential growth from `initial`, capped at `max`, with full jitter between
    /// `initial` and that cap. A server's Retry-After wins over the computed value.
    ///
    /// `unitRandom` returns a value in 0..<1; tests pass a fixed one.
    func delay(afterAttempt attempt: Int, retryAfter: Duration?, unitRandom: () -> Double) -> Duration {
        if let retryAfter { return retryAfter }
        let floor = Swift.min(initial, max)
        var ceiling = floor
        for _ in 1..<Swift.max(1, attempt) {
            ceiling = ceiling * 2
            if ceiling >= max {
                ceiling = max
                break
            }
        }
        let spread = (ceiling - floor).seconds
        let jitter = spread * Swift.min(Swift.max(unitRandom(), 0), 1)
        return floor + .milliseconds(Int64((jitter * 1000).rounded()))
    }
}
