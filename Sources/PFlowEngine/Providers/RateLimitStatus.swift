import Foundation

/// What a server's rate-limit headers say is left of its limits, and when they are full
/// again: OpenAI's `x-ratelimit-remaining-requests/-tokens` and `x-ratelimit-reset-*`
/// (Go durations like `6m0s`), Anthropic's `anthropic-ratelimit-requests/tokens-remaining`
/// and `-reset` (RFC 3339 times).
public struct RateLimitStatus: Sendable, Hashable {
    /// The server's limits per minute (`x-ratelimit-limit-*`, `anthropic-ratelimit-*-limit`).
    public var requestLimit: Int?
    public var tokenLimit: Int?
    public var remainingRequests: Int?
    public var remainingTokens: Int?
    /// From now until the request limit is full again.
    public var requestsReset: Duration?
    public var tokensReset: Duration?

    public init(
        requestLimit: Int? = nil, tokenLimit: Int? = nil, remainingRequests: Int? = nil, remainingTokens: Int? = nil,
        requestsReset: Duration? = nil, tokensReset: Duration? = nil
    ) {
        self.requestLimit = requestLimit
        self.tokenLimit = tokenLimit
        self.remainingRequests = remainingRequests
        self.remainingTokens = remainingTokens
        self.requestsReset = requestsReset
        self.tokensReset = tokensReset
    }

    /// Nil when the response carries none of the headers.
    init?(_ response: HTTPResponse, now: Date = Date()) {
        func integer(_ names: String...) -> Int? {
            names.lazy.compactMap { response.header($0).flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
                .first
        }
        func reset(openAI: String, anthropic: String) -> Duration? {
            if let value = response.header(openAI) { return Self.goDuration(value) }
            if let value = response.header(anthropic) { return Self.untilTimestamp(value, now: now) }
            return nil
        }
        requestLimit = integer("x-ratelimit-limit-requests", "anthropic-ratelimit-requests-limit")
        tokenLimit = integer("x-ratelimit-limit-tokens", "anthropic-ratelimit-tokens-limit")
        remainingRequests = integer("x-ratelimit-remaining-requests", "anthropic-ratelimit-requests-remaining")
        remainingTokens = integer("x-ratelimit-remaining-tokens", "anthropic-ratelimit-tokens-remaining")
        requestsReset = reset(openAI: "x-ratelimit-reset-requests", anthropic: "anthropic-ratelimit-requests-reset")
        tokensReset = reset(openAI: "x-ratelimit-reset-tokens", anthropic: "anthropic-ratelimit-tokens-reset")
        if self == RateLimitStatus() { return nil }
    }

    /// How long until the limit that has run out is full again; nil while both have room.
    var exhaustedFor: Duration? {
        var waits: [Duration] = []
        if remainingRequests.map({ $0 <= 0 }) == true, let requestsReset { waits.append(requestsReset) }
        if remainingTokens.map({ $0 <= 0 }) == true, let tokensReset { waits.append(tokensReset) }
        return waits.max()
    }

    /// The longest reset the headers give, for a 429 that says no `Retry-After`.
    var longestReset: Duration? { [requestsReset, tokensReset].compactMap { $0 }.max() }

    /// `20ms`, `1s`, `1.5s`, `6m0s`, `1h2m3s`: what OpenAI's reset headers hold.
    static func goDuration(_ text: String) -> Duration? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        var milliseconds = 0.0
        let units: [(String, Double)] = [("ms", 1), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let (unit, scale) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            milliseconds += value * scale
        }
        guard milliseconds.isFinite, milliseconds <= 3_600_000 * 24 else { return nil }
        return .milliseconds(Int64(milliseconds.rounded(.up)))
    }

    /// An RFC 3339 time as the wait from `now` (zero when it has passed).
    static func untilTimestamp(_ text: String, now: Date) -> Duration? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let date = formatter.date(from: trimmed) ?? ISO8601DateFormatter().date(from: trimmed) else {
            return nil
        }
        let seconds = min(max(0, date.timeIntervalSince(now)), 24 * 3600)
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }
}
