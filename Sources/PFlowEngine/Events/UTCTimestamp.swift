import Foundation

/// UTC timestamps for events, run.json and run directory names, formatted by hand:
/// thousands of events a second must not each pay for a DateFormatter.
enum UTCTimestamp {
    /// `2025-03-01T12:30:05.123Z`
    static func iso8601(_ date: Date) -> String {
        let (parts, milliseconds) = brokenDown(date)
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))"
            + "T\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2))"
            + ".\(pad(milliseconds, 3))Z"
    }

    /// `20250301T123005Z`: sorts by time and is a safe file name.
    static func compact(_ date: Date) -> String {
        let (parts, _) = brokenDown(date)
        return "\(pad(Int(parts.tm_year) + 1900, 4))\(pad(Int(parts.tm_mon) + 1, 2))\(pad(Int(parts.tm_mday), 2))"
            + "T\(pad(Int(parts.tm_hour), 2))\(pad(Int(parts.tm_min), 2))\(pad(Int(parts.tm_sec), 2))Z"
    }

    private static func brokenDown(_ date: Date) -> (tm, Int) {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        var milliseconds = Int(((interval - Double(seconds)) * 1000).rounded(.down))
        if milliseconds >= 1000 {
            seconds += 1
            milliseconds -= 1000
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return (parts, milliseconds)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
