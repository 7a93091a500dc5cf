internal import CYAML

/// Turns a file's bytes into a `YAMLNode` tree by driving libyaml's event parser.
///
/// libyaml's event API neither expands aliases nor rejects undefined or self-referencing
/// ones, and has no depth or size limits; this is where pflow adds them, so that no input
/// can crash, hang or exhaust memory before a diagnostic is printed.
public enum YAMLParser {
    /// Caps on what one workflow file may cost to read.
    public struct Limits: Sendable {
        public var maxSourceBytes: Int
        /// Collections nested inside each other; checked while events arrive, so neither the
        /// builder nor any later walk over the tree recurses deeper than this.
        public var maxDepth: Int
        /// Nodes in the tree with every alias copied out: stops "billion laughs" files.
        public var maxExpandedNodes: Int

        public init(maxSourceBytes: Int = 8 << 20, maxDepth: Int = 256, maxExpandedNodes: Int = 1_000_000) {
            self.maxSourceBytes = maxSourceBytes
            self.maxDepth = maxDepth
            self.maxExpandedNodes = maxExpandedNodes
        }
    }

    /// The tree, or nil with the reason among the diagnostics; some problems (a duplicate
    /// key, a bad alias) are reported with the tree still returned, so decoding can go on.
    public struct Result: Sendable {
        /// Nil when the file could not be read as one YAML document.
        public var root: YAMLNode?
        public var diagnostics: [Diagnostic]
        /// The bytes with their line table, for locating text inside scalars later.
        let source: SourceText
    }

    public static func parse(_ bytes: [UInt8], file: String, limits: Limits = Limits()) -> Result {
        let start = SourceLocation(file: file, line: 1, column: 1)
        guard bytes.count <= limits.maxSourceBytes else {
            return Result(
                root: nil, diagnostics: [.fileTooLarge(bytes.count, limit: limits.maxSourceBytes, at: start)],
                source: SourceText([]))
        }
        let source = SourceText(bytes)
        if let (offset, problem) = source.firstEncodingProblem() {
            return Result(
                root: nil, diagnostics: [.error(problem, at: source.mark(ofByte: offset).location(in: file))],
                source: source)
        }
        var builder = TreeBuilder(file: file, source: source, limits: limits)
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
            builder.run(base, count: buffer.count)
        }
        // `---` alone or `~` parse as a null document: as empty as no document at all.
        if (builder.root == nil || builder.root?.isNull == true) && !builder.diagnostics.hasErrors {
            builder.diagnostics.append(.emptyFile(at: start))
        }
        return Result(
            root: builder.diagnostics.hasFatal ? nil : builder.root, diagnostics: builder.diagnostics.list,
            source: source)
    }
}

/// Builds nodes from libyaml events with an explicit stack, never recursion.
private struct TreeBuilder {
    /// A collection whose end event has not arrived yet.
    final class OpenCollection {
        let isMapping: Bool
        let start: YAMLMark
        let anchor: String?
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        var pendingKey: YAMLNode?
        /// Set when the pending key is a duplicate: its value is dropped.
        var dropPendingValue = false
        var keyMarks: [String: YAMLMark] = [:]
        var expandedSize = 1

        init(isMapping: Bool, start: YAMLMark, anchor: String?) {
            self.isMapping = isMapping
            self.start = start
            self.anchor = anchor
        }
    }

    struct Collected {
        var list: [Diagnostic] = []
        /// An error after which the tree is not returned.
        var hasFatal = false
        var hasErrors: Bool { list.hasErrors }

        mutating func append(_ diagnostic: Diagnostic) { list.append(diagnostic) }

        mutating func fatal(_ diagnostic: Diagnostic) {
            list.append(diagnostic)
            hasFatal = true
        }
    }

    let file: String
    let source: SourceText
    let limits: Limits
    var diagnostics = Collected()
    var root: YAMLNode?
    private var stack: [OpenCollection] = []
    private var anchors: [String: YAMLNode] = [:]
    /// Anchors whose latest definition is a collection still open: an alias to one is a cycle.
    private var openAnchors: Set<String> = []
    private var expandedTotal = 0
    private var documents = 0

    typealias Limits = YAMLParser.Limits

    init(file: String, source: SourceText, limits: Limits) {
        self.file = file
        self.source = source
        self.limits = limits
    }

    mutating func run(_ base: UnsafePointer<UInt8>, count: Int) {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            diagnostics.fatal(
                .error("out of memory starting the YAML parser", at: location(YAMLMark(line: 1, column: 1))))
            return
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_input_string(&parser, base, count)
        var event = yaml_event_t()
        while !diagnostics.hasFatal {
            guard yaml_parser_parse(&parser, &event) == 1 else {
                diagnostics.fatal(libyamlError(parser))
                return
            }
            let finished = event.type == YAML_STREAM_END_EVENT
            consume(event)
            yaml_event_delete(&event)
            if finished { return }
        }
    }

    private func mark(_ m: yaml_mark_t) -> YAMLMark {
        YAMLMark(line: Int(m.line) + 1, column: Int(m.column) + 1)
    }

    private func location(_ m: YAMLMark) -> SourceLocation { m.location(in: file) }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    private mutating func consume(_ event: yaml_event_t) {
        let start = mark(event.start_mark)
        let end = mark(event.end_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 { diagnostics.fatal(.multipleDocuments(at: location(start))) }
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let value =
                data.value.map {
                    String(decoding: UnsafeBufferPointer(start: $0, count: Int(data.length)), as: UTF8.self)
                }
                ?? ""
            let scalar = YAMLScalar(value, style: Self.style(data.style), tag: Self.string(data.tag))
            let node = YAMLNode(.scalar(scalar), start: start, end: end, expandedSize: 1)
            guard count(1, at: start) else { return }
            if let anchor = Self.string(data.anchor) {
                anchors[anchor] = node
                openAnchors.remove(anchor)
            }
            attach(node)
        case YAML_ALIAS_EVENT:
            let name = Self.string(event.data.alias.anchor) ?? ""
            if !openAnchors.contains(name), let target = anchors[name] {
                guard count(target.expandedSize, at: start) else { return }
                attach(target)
            } else {
                diagnostics.append(
                    openAnchors.contains(name)
                        ? .aliasCycle(name, at: location(start)) : .undefinedAlias(name, at: location(start)))
                attach(YAMLNode(.invalid, start: start, end: end, expandedSize: 1))
            }
        case YAML_SEQUENCE_START_EVENT:
            open(isMapping: false, anchor: Self.string(event.data.sequence_start.anchor), at: start)
        case YAML_MAPPING_START_EVENT:
            open(isMapping: true, anchor: Self.string(event.data.mapping_start.anchor), at: start)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            close(at: end)
        default:
            break
        }
    }

    private static func style(_ style: yaml_scalar_style_t) -> YAMLScalar.Style {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }

    /// Adds to the expanded size of the document; false once past the cap.
    private mutating func count(_ nodes: Int, at mark: YAMLMark) -> Bool {
        expandedTotal += nodes
        guard expandedTotal <= limits.maxExpandedNodes else {
            diagnostics.fatal(.expansionTooLarge(limit: limits.maxExpandedNodes, at: location(mark)))
            return false
        }
        return true
    }

    private mutating func open(isMapping: Bool, anchor: String?, at start: YAMLMark) {
        guard stack.count < limits.maxDepth else {
            diagnostics.fatal(.nestingTooDeep(limit: limits.maxDepth, at: location(start)))
            return
        }
        guard count(1, at: start) else { return }
        if let anchor { openAnchors.insert(anchor) }
        stack.append(OpenCollection(isMapping: isMapping, start: start, anchor: anchor))
    }

    private mutating func close(at end: YAMLMark) {
        guard let collection = stack.popLast() else { return }
        let content: YAMLNode.Content =
            collection.isMapping ? .mapping(resolvingMergeKeys(collection.pairs)) : .sequence(collection.items)
        let node = YAMLNode(content, start: collection.start, end: end, expandedSize: collection.expandedSize)
        if let anchor = collection.anchor {
            openAnchors.remove(anchor)
            anchors[anchor] = node
        }
        attach(node)
    }

    /// YAML's merge key: `<<: *base` (or a list of aliases) copies in the entries of those
    /// mappings that this one does not set itself; an earlier mapping in the list wins over
    /// a later one. The merged entries keep their own marks, so a mistake in them is
    /// reported where it is written. A quoted `"<<"` is an ordinary key.
    private mutating func resolvingMergeKeys(_ pairs: [YAMLPair]) -> [YAMLPair] {
        guard pairs.contains(where: Self.isMergeKey) else { return pairs }
        var explicit = Set(pairs.filter { !Self.isMergeKey($0) }.compactMap { $0.key.scalar?.value })
        var resolved: [YAMLPair] = []
        for pair in pairs {
            guard Self.isMergeKey(pair) else {
                resolved.append(pair)
                continue
            }
            let sources = pair.value.sequence ?? [pair.value]
            for source in sources {
                if case .invalid = source.content { continue }
                guard let merged = source.mapping else {
                    diagnostics.append(.badMergeValue(source.kindDescription, at: location(source.start)))
                    continue
                }
                for entry in merged where explicit.insert(entry.key.scalar?.value ?? "").inserted {
                    resolved.append(entry)
                }
            }
        }
        return resolved
    }

    private static func isMergeKey(_ pair: YAMLPair) -> Bool {
        guard let key = pair.key.scalar else { return false }
        return key.value == "<<" && key.isPlainUntagged
    }

    private mutating func attach(_ node: YAMLNode) {
        guard let parent = stack.last else {
            root = node
            return
        }
        parent.expandedSize += node.expandedSize
        guard parent.isMapping else {
            parent.items.append(node)
            return
        }
        guard let key = parent.pendingKey else {
            parent.pendingKey = node
            parent.dropPendingValue = false
            if let name = node.scalar?.value {
                if let first = parent.keyMarks[name] {
                    diagnostics.append(.duplicateKey(name, first: location(first), at: location(node.start)))
                    parent.dropPendingValue = true
                } else {
                    parent.keyMarks[name] = node.start
                }
            } else if case .invalid = node.content {
                parent.dropPendingValue = true
            } else {
                diagnostics.append(.complexKey(at: location(node.start)))
                parent.dropPendingValue = true
            }
            return
        }
        if !parent.dropPendingValue { parent.pairs.append(YAMLPair(key: key, value: node)) }
        parent.pendingKey = nil
    }

    private func libyamlError(_ parser: yaml_parser_t) -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "the YAML could not be read"
        if parser.error == YAML_READER_ERROR {
            return .error(problem, at: location(source.mark(ofByte: Int(parser.problem_offset))))
        }
        if parser.error == YAML_MEMORY_ERROR {
            return .error("out of memory while reading the YAML", at: location(YAMLMark(line: 1, column: 1)))
        }
        let at = mark(parser.problem_mark)
        var notes: [String] = []
        if let context = parser.context.map({ String(cString: $0) }), mark(parser.context_mark) != at {
            notes.append("\(context) started at \(location(mark(parser.context_mark)))")
        }
        if problem == "mapping values are not allowed in this context" {
            notes.append("a ': ' inside an unquoted value starts a mapping; put the value in quotes or use a '|' block")
        }
        let offset = source.byteOffset(of: at)
        if offset < source.bytes.count && source.bytes[offset] == UInt8(ascii: "\t") {
            notes.append("YAML does not allow tabs for indentation; indent with spaces")
        }
        return .error("YAML syntax: \(problem)", at: location(at), notes: notes)
    }
}

extension Diagnostic {
    static func fileTooLarge(_ size: Int, limit: Int, at location: SourceLocation) -> Diagnostic {
        .error("the file is \(size) bytes; workflow files are limited to \(limit) bytes", at: location)
    }

    static func emptyFile(at location: SourceLocation) -> Diagnostic {
        .error("the file is empty; a workflow needs at least 'steps'", at: location)
    }

    static func multipleDocuments(at location: SourceLocation) -> Diagnostic {
        .error("a workflow file holds one YAML document; found a second one", at: location)
    }

    static func undefinedAlias(_ name: String, at location: SourceLocation) -> Diagnostic {
        .error("alias '*\(name)' refers to no anchor defined before it", at: location)
    }

    static func aliasCycle(_ name: String, at location: SourceLocation) -> Diagnostic {
        .error("alias '*\(name)' refers to the node that contains it, which would be infinite", at: location)
    }

    static func expansionTooLarge(limit: Int, at location: SourceLocation) -> Diagnostic {
        .error("aliases expand this file past \(limit) nodes; refusing to expand it", at: location)
    }

    static func nestingTooDeep(limit: Int, at location: SourceLocation) -> Diagnostic {
        .error("lists and mappings are nested more than \(limit) deep", at: location)
    }

    static func badMergeValue(_ found: String, at location: SourceLocation) -> Diagnostic {
        .error(
            "a merge key '<<' takes a mapping or a list of mappings, found \(found)", at: location,
            notes: ["for example '<<: *defaults', with '&defaults' on a mapping written before it"])
    }

    static func duplicateKey(_ key: String, first: SourceLocation, at location: SourceLocation) -> Diagnostic {
        .error("duplicate key '\(key)'", at: location, notes: ["'\(key)' is first set at \(first)"])
    }

    static func complexKey(at location: SourceLocation) -> Diagnostic {
        .error("mapping keys must be plain strings, not lists or mappings", at: location)
    }
}
