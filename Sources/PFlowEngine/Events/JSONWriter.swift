import PFlowSpec

/// Writes JSON by hand, compact (one event a line) or indented (run.json, steps/*.json).
///
/// JSONEncoder costs several times more than this, and pflow writes a record per step
/// and an event per transition: at ten thousand branches that was a third of the run's
/// CPU. Keys come out in the order written; nil values are left out, as JSONEncoder does.
struct JSONWriter {
    /// UTF-8, appended byte by byte: `String +=` of small pieces cost a third of a
    /// 10,000-step run's CPU in this type alone; bytes copy at memory speed.
    private var bytes: [UInt8] = []
    private let indented: Bool
    /// Indentation levels around this writer's outermost container, for a fragment that
    /// `addEncoded` splices into a document at that depth.
    private let baseDepth: Int
    /// One entry per open container: whether it has no member yet.
    private var empty: [Bool] = []
    /// Where `flushIfLarge` hands the bytes so far, for a document streamed to a file.
    private var sink: ((UnsafeRawBufferPointer) -> Void)?

    init(indented: Bool, depth: Int = 0) {
        self.indented = indented
        self.baseDepth = depth
        bytes.reserveCapacity(256)
    }

    /// Everything written so far. Valid UTF-8, since only whole strings and ASCII go in.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    // MARK: Containers

    mutating func beginObject(_ key: String? = nil) { open(key, UInt8(ascii: "{")) }
    mutating func endObject() { close(UInt8(ascii: "}")) }
    mutating func beginArray(_ key: String? = nil) { open(key, UInt8(ascii: "[")) }
    mutating func endArray() { close(UInt8(ascii: "]")) }

    // MARK: Members (key nil inside an array)

    mutating func add(_ key: String?, _ value: String?) {
        guard let value else { return }
        member(key)
        JSONQuoting.append(value, to: &bytes)
    }

    mutating func add(_ key: String?, _ value: Int?) {
        guard let value else { return }
        member(key)
        append(String(value))
    }

    mutating func add(_ key: String?, _ value: Double?) {
        guard let value, value.isFinite else { return }
        member(key)
        append(value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value))
    }

    mutating func add(_ key: String?, _ value: Bool?) {
        guard let value else { return }
        member(key)
        append(value ? "true" : "false")
    }

    /// A value already written by `fragment` at this member's depth, copied as it is.
    mutating func addEncoded(_ key: String?, _ encoded: String) {
        member(key)
        append(encoded)
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
        var bytes: [UInt8] = []
        streamDocument(to: { bytes.append(contentsOf: $0) }, build)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// An indented JSON document ending in a newline, handed to `write` in pieces of about a
    /// megabyte (wherever `build` calls `flushIfLarge`), so that run.json for a million
    /// steps (350 MB) is never held whole, nor copied into a String on its way out.
    static func streamDocument(to write: (UnsafeRawBufferPointer) -> Void, _ build: (inout JSONWriter) -> Void) {
        withoutActuallyEscaping(write) { write in
            var writer = JSONWriter(indented: true)
            writer.sink = write
            writer.beginObject()
            build(&writer)
            writer.endObject()
            writer.bytes.append(UInt8(ascii: "\n"))
            writer.flush()
        }
    }

    /// Hands the bytes so far to the stream's `write` once they pass a megabyte.
    mutating func flushIfLarge() {
        if bytes.count >= 1 << 20 { flush() }
    }

    private mutating func flush() {
        guard let sink else { return }
        bytes.withUnsafeBytes { sink($0) }
        bytes.removeAll(keepingCapacity: true)
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

    private mutating func append(_ string: String) {
        var string = string
        string.withUTF8 { bytes.append(contentsOf: $0) }
    }

    private mutating func open(_ key: String?, _ bracket: UInt8) {
        member(key)
        bytes.append(bracket)
        empty.append(true)
    }

    private mutating func close(_ bracket: UInt8) {
        let wasEmpty = empty.removeLast()
        if indented && !wasEmpty { newline() }
        bytes.append(bracket)
    }

    private mutating func member(_ key: String?) {
        if let last = empty.last {
            if !last { bytes.append(UInt8(ascii: ",")) }
            empty[empty.count - 1] = false
            if indented { newline() }
        }
        if let key {
            JSONQuoting.append(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            if indented { bytes.append(UInt8(ascii: " ")) }
        }
    }

    private mutating func newline() {
        bytes.append(UInt8(ascii: "\n"))
        for _ in 0..<(2 * (baseDepth + empty.count)) { bytes.append(UInt8(ascii: " ")) }
    }
}
