/// Typed reads of single values, each reporting a wrong type or range at the value itself.
extension WorkflowDecoder {
    func location(_ node: YAMLNode) -> SourceLocation { node.start.location(in: file) }

    /// A scalar of any style as text; numbers and booleans are accepted as their spelling.
    mutating func string(_ fields: MappingFields, _ key: String) -> Located<String>? {
        guard let node = fields[key] else { return nil }
        guard let scalar = node.scalar else {
            reportWrongType(key, expected: "a string", node)
            return nil
        }
        return Located(scalar.value, at: location(node))
    }

    mutating func int(_ fields: MappingFields, _ key: String, atLeast minimum: Int, atMost maximum: Int = Int.max)
        -> Int?
    {
        guard let node = fields[key] else { return nil }
        guard let value = node.scalar?.int else {
            reportWrongType(key, expected: "an integer", node)
            return nil
        }
        guard value >= minimum else {
            report(.error("'\(key)' must be \(minimum) or more, found \(value)", at: location(node)))
            return nil
        }
        guard value <= maximum else {
            report(.error("'\(key)' must be \(maximum) or less, found \(value)", at: location(node)))
            return nil
        }
        return value
    }

    mutating func double(_ fields: MappingFields, _ key: String, in range: ClosedRange<Double>) -> Double? {
        guard let node = fields[key] else { return nil }
        guard let value = node.scalar?.double else {
            reportWrongType(key, expected: "a number", node)
            return nil
        }
        guard range.contains(value) else {
            let bounds =
                range.upperBound == .greatestFiniteMagnitude
                ? "\(Self.spell(range.lowerBound)) or more"
                : "between \(Self.spell(range.lowerBound)) and \(Self.spell(range.upperBound))"
            report(.error("'\(key)' must be \(bounds), found \(node.scalar?.value ?? "")", at: location(node)))
            return nil
        }
        return value
    }

    private static func spell(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    mutating func bool(_ fields: MappingFields, _ key: String) -> Bool? {
        guard let node = fields[key] else { return nil }
        guard let value = node.scalar?.bool else {
            reportWrongType(key, expected: "true or false", node)
            return nil
        }
        return value
    }

    /// A duration; zero is refused unless `allowZero`, since a zero timeout can never be met.
    mutating func duration(_ fields: MappingFields, _ key: String, allowZero: Bool = false) -> Duration? {
        guard let node = fields[key] else { return nil }
        guard let text = node.scalar?.value else {
            reportWrongType(key, expected: "a duration like 30s", node)
            return nil
        }
        switch DurationParser.parse(text) {
        case .success(let duration):
            guard allowZero || duration > .zero else {
                report(.error("'\(key)' must be longer than zero", at: location(node)))
                return nil
            }
            return duration
        case .failure(.missingUnit):
            report(
                .error(
                    "'\(key): \(text)' has no unit", at: location(node),
                    notes: ["write \(text)s, \(text)ms or \(text)m"]))
        case .failure(.tooLong):
            report(.error("'\(key)' is longer than the 168h maximum", at: location(node)))
        case .failure(.malformed):
            report(
                .error(
                    "'\(key)' is not a duration: '\(text)'", at: location(node),
                    notes: ["write durations like 250ms, 30s, 2m, 1h or 1m30s"]))
        }
        return nil
    }

    /// One of a fixed set of words, with a suggestion when the word is close to one.
    mutating func choice<Value: RawRepresentable & CaseIterable>(_ fields: MappingFields, _ key: String) -> Value?
    where Value.RawValue == String {
        guard let node = fields[key] else { return nil }
        let names = Value.allCases.map(\.rawValue)
        guard let text = node.scalar?.value, let value = Value(rawValue: text) else {
            let found = node.scalar.map { "'\($0.value)'" } ?? node.kindDescription
            report(
                .error(
                    "'\(key)' must be \(Self.list(names)), found \(found)", at: location(node),
                    notes: Suggestion.note(for: node.scalar?.value ?? "", in: names)))
            return nil
        }
        return value
    }

    static func list(_ words: [String]) -> String {
        guard words.count > 1, let last = words.last else { return words.first ?? "" }
        return words.dropLast().joined(separator: ", ") + " or " + last
    }

    /// A list of names; a single name is accepted as a list of one, as GitHub Actions does.
    mutating func names(_ fields: MappingFields, _ key: String) -> [Located<String>] {
        guard let node = fields[key] else { return [] }
        if let scalar = node.scalar { return [Located(scalar.value, at: location(node))] }
        guard let items = node.sequence else {
            reportWrongType(key, expected: "a list of step ids", node)
            return []
        }
        return items.compactMap { item in
            guard let scalar = item.scalar else {
                report(.error("'\(key)' must list step ids, found \(item.kindDescription)", at: location(item)))
                return nil
            }
            return Located(scalar.value, at: location(item))
        }
    }

    mutating func template(_ fields: MappingFields, _ key: String) -> Template? {
        guard let node = fields[key] else { return nil }
        guard node.scalar != nil else {
            reportWrongType(key, expected: "text", node)
            return nil
        }
        let (template, problems) = TemplateParser.parse(node, source: source, file: file)
        problems.forEach { report($0) }
        return template
    }

    mutating func reportWrongType(_ key: String, expected: String, _ node: YAMLNode) {
        if case .invalid = node.content { return }
        var notes: [String] = []
        if let scalar = node.scalar, scalar.style == .singleQuoted || scalar.style == .doubleQuoted,
            YAMLScalar(scalar.value).kindDescription != "a string"
        {
            notes.append("quoted values are strings; remove the quotes")
        }
        report(.error("'\(key)' must be \(expected), found \(node.kindDescription)", at: location(node), notes: notes))
    }
}
