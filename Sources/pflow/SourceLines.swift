import PFlowSpec

/// The lines of a file as the marks in its diagnostics count them (`SourceText`), made
/// printable on demand: diagnostics need a handful of them, and the file may be megabytes.
///
/// The last line asked for is kept decoded and made printable: a hostile file can put
/// 200,000 errors on one megabyte-long line, and decoding the line again for each of their
/// snippets made printing them quadratic.
struct SourceLines {
    private let text: SourceText
    private let recent = RecentLine()

    private final class RecentLine {
        var number = 0
        var characters: [Character] = []
    }

    init(_ bytes: [UInt8]) {
        text = SourceText(bytes)
    }

    /// The line as `TerminalText` makes it safe to print, one element per character.
    func printableCharacters(ofLine number: Int) -> [Character]? {
        if recent.number == number && number > 0 { return recent.characters }
        guard let line = text.line(number) else { return nil }
        recent.number = number
        recent.characters = Array(TerminalText.sanitized(line))
        return recent.characters
    }
}
