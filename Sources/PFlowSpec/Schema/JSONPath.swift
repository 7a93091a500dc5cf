/// One step into a JSON value, as written after `steps.ID.json`: `.field` or `[index]`.
public enum JSONPathComponent: Sendable, Hashable, CustomStringConvertible {
    case field(String)
    case index(Int)

    public var description: String {
        switch self {
        case .field(let name): ".\(name)"
        case .index(let index): "[\(index)]"
        }
    }
}

extension [JSONPathComponent] {
    /// The path as written: `.items[0].name`.
    public var spelled: String { map(\.description).joined() }
}

extension JSONValue {
    /// The value at `path`, or nil when a field is missing, an index is out of range or a
    /// step meets a value of the wrong kind.
    public func value(at path: [JSONPathComponent]) -> JSONValue? {
        var current = self
        for component in path {
            switch (component, current) {
            case (.field(let name), .object):
                guard let next = current[name] else { return nil }
                current = next
            case (.index(let index), .array(let items)):
                guard items.indices.contains(index) else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }
}
