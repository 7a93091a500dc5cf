import Foundation

/// Reads `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
enum RetryAfter {
    /// The server's wait from an error response: OpenAI's `retry-after-ms` (milliseconds, as
    /// its SDK reads it first), else `Retry-After` (seconds or an HTTP date).
    static func of(_ response: HTTPResponse, now: Date = Date()) -> Duration? {
        if let milliseconds = response.header("retry-after-ms").flatMap({
            Double($0.trimmingCharacters(in: .whitespaces))
        }),
            milliseconds.isFinite, milliseconds >= 0
        {
            return clamped(seconds: milliseconds / 1000)
        }
        return response.header("Retry-After").flatMap { parse($0, now: now) }
    }

    static func parse(_ value: String, now: Date = Date()) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds.isFinite, seconds >= 0 {
            return clamped(seconds: seconds)
        }
        for format in httpDateFormats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) {
                let seconds = max(0, date.timeIntervalSince(now))
                return .milliseconds(Int64((seconds * 1000).rounded()))
            }
        }
        return nil
    }

    /// A hostile `Retry-After: 1e300` must not overflow: a year is as good as forever here,
    /// and the engine refuses to wait more than a minute anyway.
    private static func clamped(seconds: Double) -> Duration {
        .milliseconds(Int64((min(seconds, 365 * 24 * 3600) * 1000).rounded()))
    }

    static func describe(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        return "\(milliseconds)ms"
    }

    /// IMF-fixdate, then the obsolete RFC 850 and asctime forms that RFC 9110 says to accept.
    private static let httpDateFormats = [
        "EEE, dd MMM yyyy HH:mm:ss zzz",
        "EEEE, dd-MMM-yy HH:mm:ss zzz",
        "EEE MMM d HH:mm:ss yyyy",
    ]
}
