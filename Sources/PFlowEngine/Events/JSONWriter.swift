/// Writes JSON by hand, compact (one event a line) or indented (run.json, steps/*.json).
///
/// JSONEncoder costs several times more than this, and pflow writes a record per step
/// and an event per transition: at ten thousand branches that was a third of the run's
/// CPU. Keys come out in the order written; nil values are left out, as JSONEncoder does.
struct JSONWriter {
    private(set) var text = ""
    private let indented: Bool
    /// Indentation levels around this writer's outermost container, for a fragment that
    /// `addEncoded` splices into a document at that depth.
    private let baseDepth: Int
    /// One entry per open container: whether it has no member yet.
    private var empty: [Bool] = []

    init(indented: Bool, depth: Int = 0) {
        self.indented = indented
        self.baseDepth = depth
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

    /// A value already written by `fragment` at this member's depth, copied as it is.
    mutating func addEncoded(_ key: String?, _ encoded: String) {
        member(key)
        text += encoded
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

    /// One indented object, laid out to sit `depth` levels deep in a document.
    static func fragment(depth: Int, _ build: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter(indented: true, depth: depth)
        writer.beginObject()
        build(&writer)
        writer.endObject()
        return writer.text
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
        text += String(repeating: "  ", count: baseDepth + empty.count)
    }

    /// Copies runs of plain bytes as whole slices: prompts and answers are long and full of
    /// quotes and newlines, and appending them scalar by scalar was a tenth of a large run's CPU.
    static func appendQuoted(_ value: String, to output: inout String) {
        output += "\""
        // Sliced as scalars, not Characters: a quote followed by a combining mark is one
        // Character, and slicing on Character boundaries would swallow or repeat the quote.
        let scalars = value.unicodeScalars
        let bytes = value.utf8
        var runStart = bytes.startIndex
        var index = runStart
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte < 0x20 || byte == 0x22 || byte == 0x5C {
                output += Substring(scalars[runStart..<index])
                output += escape(byte)
                runStart = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        output += Substring(scalars[runStart..<bytes.endIndex])
        output += "\""
    }

    private static func escape(_ byte: UInt8) -> String {
        switch byte {
        case 0x22: return "\\\""
        case 0x5C: return "\\\\"
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        default:
            let hex = String(byte, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
    }
}
