/// How much of a rate limit may go at once: the one rule the run's limiter and the plan's
/// cost model share.
public enum RateBurst {
    /// Requests at once: one second's worth (at least one), so a fan-out of hundreds does
    /// not spend a minute's limit in its first second.
    public static func requests(perMinute: Int) -> Double {
        max(1, (Double(max(1, perMinute)) / 60).rounded(.down))
    }

    /// Tokens at once: a whole minute's worth, as OpenAI and the mock server count them.
    public static func tokens(perMinute: Int) -> Double { Double(max(1, perMinute)) }

    /// The least seconds `amount` takes through a bucket of `burst` refilling `perMinute`.
    public static func seconds(for amount: Double, burst: Double, perMinute: Int) -> Double {
        max(0, amount - burst) / (Double(max(1, perMinute)) / 60)
    }
}
