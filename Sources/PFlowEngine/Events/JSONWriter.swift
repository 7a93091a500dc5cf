/// Writes JSON by hand, compact (one event a line) or indented (run.json, steps/*.json).
///
/// JSONEncoder costs several times more than this, and pflow writes a record per step
/// and an event per transition: at ten thousand branches that was a third of the run's
/// CPU. Keys come out in the order written; nil values are left out, as JSONEncoder does.
struct JSONWriter {
    private(set) var text = ""
    private let indented: Bool
    /// One entry per open container: whether it has no member yet.
    private var empty: [Bool] = []

    init(indented: Bool) {
        self.indented = indented
    }

    // MARK: Containers

    mutating func beginObject(_ key: String? = nil) { open(key, "{") }
    mutating func endObject() { close("}") }
    mutating func beginArray(_ key: String? = nil) { open(key, "[") }
    mutating func endArray() { close("]") }

    // MARK: Members (key nil inside an array)

    mutating func add(_ key: String?, _ value: String?) {
        guard let value else { return }
        member(key)
        Self.appendQuoted(value, to: &text)
    }

    mutating func add(_ key: String?, _ value: Int?) {
        guard let value else { return }
        member(key)
        text += String(value)
    }

    mutating func add(_ key: String?, _ value: Double?) {
        guard let value, value.isFinite else { return }
        member(key)
        text += value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    mutating func add(_ key: String?, _ value: Bool?) {
        guard let value else { return }
        member(key)
        text += value ? "true" : "false"
    }

    /// A JSON object on one line, for events.jsonl.
    static func line(_ build: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter(indented: false)
        writer.beginObject()
        build(&writer)
        writer.endObject()
        return writer.text
    }

    /// An indented JSON document ending in a newline.
    static func document(_ build: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter(indented: true)
        writer.beginObject()
        build(&writer)
        writer.endObject()
        return writer.text + "\n"
    }

    // MARK: Layout

    private mutating func open(_ key: String?, _ bracket: String) {
        member(key)
        text += bracket
        empty.append(true)
    }

    private mutating func close(_ bracket: String) {
        let wasEmpty = empty.removeLast()
        if indented && !wasEmpty { newline() }
        text += bracket
    }

    private mutating func member(_ key: String?) {
        if let last = empty.last {
            if !last { text += "," }
            empty[empty.count - 1] = false
            if indented { newline() }
        }
        if let key {
            Self.appendQuoted(key, to: &text)
            text += indented ? ": " : ":"
        }
    }

    private mutating func newline() {
        text += "\n"
        text += String(repeating: "  ", count: empty.count)
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
