/// One node of a parsed YAML document, with where it starts in the file.
///
/// A class so that an alias shares its anchor's node instead of copying it: an alias bomb
/// costs one node per alias, and `expandedSize` tells how big the tree would be if copied.
public final class YAMLNode: Sendable {
    public enum Content: Sendable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        /// Pairs in file order; keys are unique (duplicates are diagnosed and dropped).
        case mapping([YAMLPair])
        /// Stands in for an alias that could not be resolved; its diagnostic is already out.
        case invalid
    }

    public let content: Content
    public let start: YAMLMark
    public let end: YAMLMark
    /// The number of nodes this subtree would have with every alias copied out.
    public let expandedSize: Int

    init(_ content: Content, start: YAMLMark, end: YAMLMark, expandedSize: Int) {
        self.content = content
        self.start = start
        self.end = end
        self.expandedSize = expandedSize
    }

    public var scalar: YAMLScalar? {
        if case .scalar(let s) = content { return s }
        return nil
    }

    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    public var mapping: [YAMLPair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    /// `~`, `null` or nothing at all, written without quotes.
    public var isNull: Bool { scalar?.isNull ?? false }

    /// How the node is named in "expected X, found Y" messages.
    public var kindDescription: String {
        switch content {
        case .scalar(let s): s.kindDescription
        case .sequence: "a list"
        case .mapping: "a mapping"
        case .invalid: "an invalid value"
        }
    }
}

/// A mapping entry.
public struct YAMLPair: Sendable {
    public let key: YAMLNode
    public let value: YAMLNode
}

/// A position in the source as libyaml reports it, made 1-based.
public struct YAMLMark: Sendable, Hashable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public func location(in file: String) -> SourceLocation {
        SourceLocation(file: file, line: line, column: column)
    }
}

/// A scalar's text with enough of its spelling to tell `123` from `"123"`.
public struct YAMLScalar: Sendable, Hashable {
    public enum Style: Sendable, Hashable {
        case plain
        case singleQuoted
        case doubleQuoted
        case literal
        case folded
    }

    public var value: String
    public var style: Style
    /// The resolved tag when one was written (`!!str` gives `tag:yaml.org,2002:str`).
    public var tag: String?

    public init(_ value: String, style: Style = .plain, tag: String? = nil) {
        self.value = value
        self.style = style
        self.tag = tag
    }

    /// Only unquoted, untagged scalars are numbers, booleans or null (YAML 1.2 core schema).
    public var isPlainUntagged: Bool { style == .plain && tag == nil }

    public var isNull: Bool {
        isPlainUntagged && ["", "~", "null", "Null", "NULL"].contains(value)
    }

    public var bool: Bool? {
        guard isPlainUntagged else { return nil }
        switch value {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    public var int: Int? {
        guard isPlainUntagged, value.first != "+" || value.count > 1 else { return nil }
        return Int(value.hasPrefix("+") ? String(value.dropFirst()) : value)
    }

    public var double: Double? {
        guard isPlainUntagged else { return nil }
        if let int { return Double(int) }
        guard let d = Double(value), d.isFinite else { return nil }
        return d
    }

    var kindDescription: String {
        if isNull { return "null" }
        if bool != nil { return "a boolean" }
        if int != nil { return "an integer" }
        if double != nil { return "a number" }
        return "a string"
    }
}
