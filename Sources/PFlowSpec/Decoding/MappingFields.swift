/// The entries of one YAML mapping, keyed by name, after unknown keys have been reported.
struct MappingFields {
    let node: YAMLNode
    /// How the mapping is named in messages: "a step", "provider 'gpt'".
    let owner: String
    let entries: [String: YAMLPair]

    /// The value under `key`; nil when absent or written as null, so optional keys can be
    /// left empty (`description:`) without a diagnostic.
    subscript(key: String) -> YAMLNode? {
        guard let value = entries[key]?.value, !value.isNull else { return nil }
        return value
    }

    func has(_ key: String) -> Bool { entries[key] != nil }

    func keyNode(_ key: String) -> YAMLNode? { entries[key]?.key }
}

extension WorkflowDecoder {
    /// Keys starting with `x-` are ignored, as in Docker Compose, so a file can hold anchors
    /// for later aliases (`x-common: &common ...`).
    static let extensionPrefix = "x-"

    /// Reads a mapping, reporting every key not in `allowed` with the closest allowed one.
    mutating func fields(_ node: YAMLNode, owner: String, allowed: [String]) -> MappingFields? {
        guard let pairs = node.mapping else {
            if case .invalid = node.content { return nil }
            report(.error("\(owner) must be a mapping, found \(node.kindDescription)", at: location(node)))
            return nil
        }
        var entries: [String: YAMLPair] = [:]
        for pair in pairs {
            guard let key = pair.key.scalar?.value else { continue }
            if allowed.contains(key) {
                entries[key] = pair
            } else if !key.hasPrefix(Self.extensionPrefix) {
                report(.unknownKey(key, in: owner, allowed: allowed, at: location(pair.key)))
            }
        }
        return MappingFields(node: node, owner: owner, entries: entries)
    }
}

extension Diagnostic {
    static func unknownKey(_ key: String, in owner: String, allowed: [String], at location: SourceLocation)
        -> Diagnostic
    {
        let suggestion = Suggestion.note(for: key, in: allowed)
        return .error(
            "unknown key '\(key)' in \(owner)", at: location,
            notes: suggestion.isEmpty ? ["expected one of: \(allowed.joined(separator: ", "))"] : suggestion)
    }
}
