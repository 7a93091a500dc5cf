/// Builds one JSON object on one line, by hand: the event log writes one per event and
/// JSONEncoder costs far more than this at ten thousand branches.
struct JSONLine {
    private var text = "{"
    private var empty = true

    mutating func add(_ key: String, _ value: String?) {
        guard let value else { return }
        separate(key)
        Self.appendQuoted(value, to: &text)
    }

    mutating func add(_ key: String, _ value: Int?) {
        guard let value else { return }
        separate(key)
        text += String(value)
    }

    mutating func add(_ key: String, _ value: Double?) {
        guard let value, value.isFinite else { return }
        separate(key)
        text += String(value)
    }

    /// The finished line, without the newline.
    var line: String { text + "}" }

    private mutating func separate(_ key: String) {
        if !empty { text += "," }
        empty = false
        Self.appendQuoted(key, to: &text)
        text += ":"
    }

    static func appendQuoted(_ value: String, to output: inout String) {
        output += "\""
        var needsEscaping = false
        for byte in value.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            needsEscaping = true
            break
        }
        guard needsEscaping else {
            output += value
            output += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
