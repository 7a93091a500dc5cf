/// Reads durations written like `250ms`, `30s`, `2m`, `1h`, `1m30s` or `1.5s`.
///
/// Units must come largest first and at most once each, as Go's `time.ParseDuration` and
/// GitHub Actions users expect; a bare number is refused because `30` could mean anything.
enum DurationParser {
    enum Failure: Error, Equatable {
        case malformed
        case missingUnit
        case tooLong
    }

    /// Longer than anything a workflow needs, and far from overflowing `Duration`.
    static let maximum: Duration = .seconds(7 * 24 * 3600)

    private static let units: [(suffix: String, milliseconds: Double)] = [
        ("h", 3_600_000), ("ms", 1), ("m", 60_000), ("s", 1000),
    ]
    /// Largest first; a component's unit must come after the previous one's in this order.
    private static let order = ["h", "m", "s", "ms"]

    static func parse(_ text: String) -> Result<Duration, Failure> {
        var rest = Substring(text.trimmingCharactersInWhitespace())
        guard !rest.isEmpty else { return .failure(.malformed) }
        if Double(rest) != nil { return .failure(.missingUnit) }
        var total = 0.0
        var lastRank = -1
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number) else { return .failure(.malformed) }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.suffix) }),
                let rank = order.firstIndex(of: unit.suffix), rank > lastRank
            else { return .failure(.malformed) }
            rest = rest.dropFirst(unit.suffix.count)
            lastRank = rank
            total += value * unit.milliseconds
            guard total <= Double(maximum.components.seconds) * 1000 else { return .failure(.tooLong) }
        }
        return .success(.nanoseconds(Int64((total * 1_000_000).rounded())))
    }
}

extension String {
    func trimmingCharactersInWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
