/// The one plain-text spelling of a diagnostic, shared by the CLI and the tests.
extension Diagnostic {
    /// `file:line:col: severity: message`, then each note on its own line as `    note: ...`.
    public var rendered: String {
        var text = "\(location): \(severity.rawValue): \(message)"
        for note in notes { text += "\n    note: \(note)" }
        return text
    }
}

extension Array where Element == Diagnostic {
    /// By file position; diagnostics at the same place keep the order they were found in.
    public func sortedByLocation() -> [Diagnostic] {
        enumerated().sorted { a, b in
            let l = a.element.location
            let r = b.element.location
            if l.file != r.file { return l.file < r.file }
            if l.line != r.line { return l.line < r.line }
            if l.column != r.column { return l.column < r.column }
            return a.offset < b.offset
        }.map(\.element)
    }
}
