import PFlowSpec

/// Renders diagnostics the way a compiler does, for people reading a terminal.
///
/// Without colour the first lines are exactly `Diagnostic.rendered`
/// (`file:line:col: error: message` and `    note: ...` lines), so scripts and editors can
/// match them, except that control characters quoted from the file are shown as
/// `TerminalText` pictures; then the source line follows with a caret under the column, always, as
/// swiftc and rustc print it. Machines that want structure use `--format json`.
struct DiagnosticPrinter {
    var colors: Bool

    func render(_ diagnostic: Diagnostic, source: SourceLines?) -> String {
        let location = diagnostic.location
        let place = location.line > 0 ? "\(location):" : "\(location.file):"
        var text =
            style(place, .bold) + " " + style("\(diagnostic.severity.rawValue):", color(of: diagnostic.severity))
            + " " + style(TerminalText.sanitized(diagnostic.message), .bold)
        for note in diagnostic.notes {
            text += "\n    " + style("note:", .cyan) + " " + TerminalText.sanitized(note)
        }
        if let source, let line = source.printableCharacters(ofLine: location.line) {
            text += "\n" + snippet(line, number: location.line, column: location.column)
        }
        return text
    }

    /// `  12 | text` and a caret line under it. A very long line (a 10 MB scalar) is cut to
    /// a window around the column.
    private func snippet(_ characters: [Character], number: Int, column: Int) -> String {
        let window = 120
        let caretIndex = max(0, min(column - 1, characters.count))
        let start = caretIndex > window / 2 && characters.count > window ? caretIndex - window / 2 : 0
        let end = min(characters.count, start + window)
        let prefix = start > 0 ? "…" : ""
        let suffix = end < characters.count ? "…" : ""
        let shown = prefix + String(characters[start..<end]) + suffix
        // Tabs stay tabs so the caret lines up however wide the terminal draws them.
        let padding =
            (prefix.isEmpty ? "" : " ") + String(characters[start..<caretIndex].map { $0 == "\t" ? "\t" : " " })
        let gutter = String(number)
        let blank = String(repeating: " ", count: gutter.count)
        return style(" \(gutter) | ", .blue) + shown + "\n" + style(" \(blank) | ", .blue) + padding
            + style("^", .green)
    }

    private enum ANSI: String {
        case bold = "1"
        case red = "1;31"
        case yellow = "1;33"
        case cyan = "1;36"
        case blue = "34"
        case green = "1;32"
    }

    private func color(of severity: Diagnostic.Severity) -> ANSI {
        switch severity {
        case .error: .red
        case .warning: .yellow
        case .note: .cyan
        }
    }

    private func style(_ text: String, _ ansi: ANSI) -> String {
        colors ? "\u{1B}[\(ansi.rawValue)m\(text)\u{1B}[0m" : text
    }
}
