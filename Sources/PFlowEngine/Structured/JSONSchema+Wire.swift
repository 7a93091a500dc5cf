import PFlowSpec

/// A step's schema as JSON, for the API's `response_format` and for the instructions
/// every JSON request carries.
extension JSONSchema {
    var wireValue: JSONValue {
        var members: [JSONMember] = []
        if let type { members.append(JSONMember("type", .string(type.rawValue))) }
        if let description { members.append(JSONMember("description", .string(description))) }
        if !properties.isEmpty {
            members.append(
                JSONMember("properties", .object(properties.map { JSONMember($0.name, $0.schema.wireValue) })))
        }
        if !required.isEmpty { members.append(JSONMember("required", .array(required.map(JSONValue.string)))) }
        if let additionalProperties { members.append(JSONMember("additionalProperties", .bool(additionalProperties))) }
        if let items { members.append(JSONMember("items", items.wireValue)) }
        if let allowed { members.append(JSONMember("enum", .array(allowed))) }
        if let constant { members.append(JSONMember("const", constant)) }
        if let minItems { members.append(JSONMember("minItems", .number(Double(minItems)))) }
        if let maxItems { members.append(JSONMember("maxItems", .number(Double(maxItems)))) }
        if let minimum { members.append(JSONMember("minimum", .number(minimum))) }
        if let maximum { members.append(JSONMember("maximum", .number(maximum))) }
        return .object(members)
    }

    /// Whether OpenAI's `strict` mode accepts the schema as written: it wants every object
    /// closed (`additionalProperties: false`) with every property required. pflow does
    /// not rewrite a schema to fit, since that would change what the answer may be.
    var isStrictCompatible: Bool {
        if type == .object || !properties.isEmpty {
            guard additionalProperties == false, Set(required) == Set(properties.map(\.name)) else { return false }
        }
        return properties.allSatisfy(\.schema.isStrictCompatible) && (items?.isStrictCompatible ?? true)
    }
}
