/// What a typed reference (`steps.ID.json.a.b[0]`) may read, answered from the schema
/// before the run.
extension JSONSchema {
    /// Why a path cannot be read from values of this schema.
    public struct PathProblem: Sendable, Hashable {
        public var message: String
        public var notes: [String]
    }

    /// Nil when every component of `path` can exist; a path under a schema that leaves a
    /// part open (no `properties`, `additionalProperties: true`) is not checked past it.
    public func problem(reading path: [JSONPathComponent]) -> PathProblem? {
        var schema = self
        var walked: [JSONPathComponent] = []
        for component in path {
            let here = walked.isEmpty ? "the answer" : "'json\(walked.spelled)'"
            switch component {
            case .field(let name):
                if let type = schema.type, type != .object {
                    return PathProblem(
                        message: "\(here) is \(Self.spell(type)), so it has no field '\(name)'", notes: [])
                }
                guard let next = schema.property(name) else {
                    if schema.properties.isEmpty || schema.additionalProperties == true { return nil }
                    let names = schema.properties.map(\.name)
                    let suggestion = Suggestion.note(for: name, in: names)
                    return PathProblem(
                        message: "\(here) has no field '\(name)' in its schema",
                        notes: suggestion.isEmpty ? ["its fields are \(names.joined(separator: ", "))"] : suggestion)
                }
                schema = next
            case .index(let index):
                if let type = schema.type, type != .array {
                    return PathProblem(
                        message: "\(here) is \(Self.spell(type)), so it has no item [\(index)]", notes: [])
                }
                if let maxItems = schema.maxItems, index >= maxItems {
                    return PathProblem(
                        message: "\(here) holds at most \(maxItems) items, so [\(index)] never exists", notes: [])
                }
                guard let items = schema.items else { return nil }
                schema = items
            }
            walked.append(component)
        }
        return nil
    }
}
