/// Checking an answer against a schema: every problem found, each naming where it is.
extension JSONSchema {
    /// One way a value breaks the schema, at a path like `$.items[2].name`.
    public struct Violation: Sendable, Hashable, CustomStringConvertible {
        public var path: String
        public var message: String

        public var description: String { "\(path): \(message)" }
    }

    public func violations(of value: JSONValue) -> [Violation] {
        var found: [Violation] = []
        collect(value, at: "$", into: &found)
        return found
    }

    private func collect(_ value: JSONValue, at path: String, into found: inout [Violation]) {
        func add(_ message: String) { found.append(Violation(path: path, message: message)) }
        if let type, !Self.value(value, isOf: type) {
            add("expected \(Self.spell(type)), found \(value.kindDescription)")
            return
        }
        if let constant, value != constant { add("must be \(constant.compactText)") }
        if let allowed, !allowed.contains(value) {
            add("must be one of \(allowed.map(\.compactText).joined(separator: ", ")), found \(value.compactText)")
        }
        switch value {
        case .number(let number):
            if let minimum, number < minimum { add("must be at least \(JSONValue.number(minimum).compactText)") }
            if let maximum, number > maximum { add("must be at most \(JSONValue.number(maximum).compactText)") }
        case .array(let elements):
            if let minItems, elements.count < minItems {
                add("needs at least \(minItems) items, found \(elements.count)")
            }
            if let maxItems, elements.count > maxItems {
                add("allows at most \(maxItems) items, found \(elements.count)")
            }
            if let items {
                for (index, element) in elements.enumerated() {
                    items.collect(element, at: "\(path)[\(index)]", into: &found)
                }
            }
        case .object(let members):
            for name in required where !members.contains(where: { $0.key == name }) {
                add("missing required field '\(name)'")
            }
            for member in members {
                if let schema = property(member.key) {
                    schema.collect(member.value, at: "\(path).\(member.key)", into: &found)
                } else if additionalProperties == false {
                    add("unexpected field '\(member.key)'")
                }
            }
        case .null, .bool, .string:
            break
        }
    }

    private static func value(_ value: JSONValue, isOf kind: Kind) -> Bool {
        switch (kind, value) {
        case (.object, .object), (.array, .array), (.string, .string), (.number, .number), (.boolean, .bool),
            (.null, .null):
            true
        case (.integer, .number(let n)): n == n.rounded()
        default: false
        }
    }

    static func spell(_ kind: Kind) -> String {
        switch kind {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .integer: "an integer"
        case .boolean: "a boolean"
        case .null: "null"
        }
    }
}
