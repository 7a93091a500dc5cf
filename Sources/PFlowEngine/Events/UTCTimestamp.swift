import Foundation

/// UTC timestamps for events, run.json and run directory names, formatted by hand:
/// thousands of events a second must not each pay for a DateFormatter, nor for gmtime_r,
/// which takes glibc's time-zone lock, nor for string interpolation (5 % of a 10,000-step
/// run's CPU went to this type before it wrote bytes).
enum UTCTimestamp {
    /// `2025-03-01T12:30:05.123Z`
    static func iso8601(_ date: Date) -> String {
        let time = CivilTime(date)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        append(time.year, width: 4, to: &bytes, then: "-")
        append(time.month, width: 2, to: &bytes, then: "-")
        append(time.day, width: 2, to: &bytes, then: "T")
        append(time.hour, width: 2, to: &bytes, then: ":")
        append(time.minute, width: 2, to: &bytes, then: ":")
        append(time.second, width: 2, to: &bytes, then: ".")
        append(time.millisecond, width: 3, to: &bytes, then: "Z")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `20250301T123005Z`: sorts by time and is a safe file name.
    static func compact(_ date: Date) -> String {
        let time = CivilTime(date)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        append(time.year, width: 4, to: &bytes)
        append(time.month, width: 2, to: &bytes)
        append(time.day, width: 2, to: &bytes, then: "T")
        append(time.hour, width: 2, to: &bytes)
        append(time.minute, width: 2, to: &bytes)
        append(time.second, width: 2, to: &bytes, then: "Z")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// At least `width` digits, zero-padded; a negative year keeps its sign.
    private static func append(_ value: Int, width: Int, to bytes: inout [UInt8], then separator: Unicode.Scalar? = nil)
    {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var digitCount = 0
        var rest = value.magnitude
        repeat {
            digitCount += 1
            rest /= 10
        } while rest > 0
        let end = bytes.count + max(width, digitCount)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: end - bytes.count))
        rest = value.magnitude
        var index = end
        while rest > 0 {
            index -= 1
            bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        if let separator { bytes.append(UInt8(ascii: separator)) }
    }
}

/// A moment's proleptic Gregorian date and time in UTC, to the millisecond (rounded down).
struct CivilTime: Equatable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    var millisecond: Int

    init(_ date: Date) {
        let totalMilliseconds = Int((date.timeIntervalSince1970 * 1000).rounded(.down))
        let (days, millisecondOfDay) = Self.floorDivision(totalMilliseconds, 86_400_000)
        (hour, minute, second, millisecond) = (
            millisecondOfDay / 3_600_000, millisecondOfDay / 60_000 % 60, millisecondOfDay / 1000 % 60,
            millisecondOfDay % 1000
        )
        // Howard Hinnant's civil_from_days: eras of 400 years, years starting in March.
        let shifted = days + 719_468
        let era = Self.floorDivision(shifted, 146_097).quotient
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    private static func floorDivision(_ value: Int, _ divisor: Int) -> (quotient: Int, remainder: Int) {
        let remainder = (value % divisor + divisor) % divisor
        return ((value - remainder) / divisor, remainder)
    }
}
