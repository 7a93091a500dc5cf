/// Text that came from a workflow file, made safe to print on a terminal.
///
/// A double-quoted YAML string can hold any character through escapes (`"\e]0;..."`), and a
/// diagnostic quotes keys, values and source lines back: printed raw, a hostile file could
/// retitle the terminal, move the cursor or hide lines. Control characters become their
/// Unicode "control picture" (`␛`, `␀`), one column wide like the character they replace,
/// so carets under a source line still line up. Tabs stay: they are harmless and the caret
/// line copies them.
enum TerminalText {
    static func sanitized(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            out.append(isUnsafe(scalar) ? picture(of: scalar) : scalar)
        }
        return String(out)
    }

    private static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        scalar != "\t" && (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value))
    }

    private static func picture(of scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar.value {
        case 0..<0x20: Unicode.Scalar(0x2400 + scalar.value) ?? "\u{FFFD}"
        case 0x7F: "\u{2421}"
        default: "\u{FFFD}"
        }
    }
}
