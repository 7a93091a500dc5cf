/// Finds the name a person probably meant, for "did you mean" notes.
enum Suggestion {
    /// The closest candidate within a few edits, or nil when nothing is close enough to help.
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let lowered = word.lowercased()
        let allowed = allowedEdits(for: word)
        var best: (name: String, distance: Int)?
        // Names whose lengths differ by more than the allowed edits cannot be close: skipping
        // them keeps a megabyte-long name from costing a megabyte per candidate.
        for candidate in candidates where abs(candidate.count - word.count) <= allowed {
            let distance = editDistance(lowered, candidate.lowercased())
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best, best.distance <= allowed else { return nil }
        return best.name
    }

    static func note(for word: String, in candidates: some Sequence<String>) -> [String] {
        closest(to: word, in: candidates).map { ["did you mean '\($0)'?"] } ?? []
    }

    /// Short words get few edits, or every two-letter typo would match every two-letter key.
    private static func allowedEdits(for word: String) -> Int {
        switch word.count {
        case ...3: 1
        case ...6: 2
        default: 3
        }
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previousPrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previousPrevious[j - 2] + 1)
                }
                current[j] = value
            }
            (previousPrevious, previous, current) = (previous, current, previousPrevious)
        }
        return previous[b.count]
    }
}
