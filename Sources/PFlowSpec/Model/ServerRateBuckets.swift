/// How a rate-limited server counts one model's requests and tokens, as OpenAI describes
/// its limits: a bucket of a minute's requests and one of a minute's tokens, refilling
/// continuously; a request is admitted when both hold enough, and takes one request and
/// its tokens (input plus `max_tokens`, charged at admission).
///
/// The one rule pflow-mock-server's `--rpm`/`--tpm` and the built-in mock's
/// `server_limits` share, so that rehearsing offline meets the limit the server would.
/// Time is what the caller's clock says, as a duration since any fixed origin.
public struct ServerRateBuckets: Sendable {
    public let requestsPerMinute: Int?
    public let tokensPerMinute: Int?
    /// What is left, after the last refill.
    public private(set) var requests: Double
    public private(set) var tokens: Double
    private var updated: Duration

    public init(requestsPerMinute: Int?, tokensPerMinute: Int?, now: Duration) {
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        requests = Double(requestsPerMinute ?? 0)
        tokens = Double(tokensPerMinute ?? 0)
        updated = now
    }

    /// Refills to `now`, then takes one request and `cost` tokens if both buckets hold
    /// enough. Nil when admitted; otherwise the seconds until the request would fit.
    public mutating func admit(tokens cost: Int, now: Duration) -> Double? {
        let (whole, attoseconds) = (now - updated).components
        let minutes = max(0, (Double(whole) + Double(attoseconds) / 1e18) / 60)
        if let limit = requestsPerMinute { requests = min(Double(limit), requests + minutes * Double(limit)) }
        if let limit = tokensPerMinute { tokens = min(Double(limit), tokens + minutes * Double(limit)) }
        updated = max(updated, now)
        let wanted = Double(cost)
        if (requestsPerMinute == nil || requests >= 1) && (tokensPerMinute == nil || tokens >= wanted) {
            requests -= 1
            tokens -= wanted
            return nil
        }
        let requestWait = requestsPerMinute.map { (1 - requests) * 60 / Double($0) } ?? 0
        let tokenWait = tokensPerMinute.map { (wanted - tokens) * 60 / Double($0) } ?? 0
        return max(requestWait, tokenWait, 0.001)
    }

    /// Whole requests and tokens left, as the headers say them; nil for a limit not set.
    public var remainingRequests: Int? { requestsPerMinute.map { _ in max(0, Int(requests.rounded(.down))) } }
    public var remainingTokens: Int? { tokensPerMinute.map { _ in max(0, Int(tokens.rounded(.down))) } }

    /// Seconds until each bucket is full again, as the reset headers say them.
    public var requestsFullIn: Double? { requestsPerMinute.map { Self.secondsUntilFull(requests, perMinute: $0) } }
    public var tokensFullIn: Double? { tokensPerMinute.map { Self.secondsUntilFull(tokens, perMinute: $0) } }

    private static func secondsUntilFull(_ left: Double, perMinute: Int) -> Double {
        (Double(perMinute) - max(left, 0)) * 60 / Double(perMinute)
    }
}
