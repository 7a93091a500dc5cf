/// The JSON Schema subset a `format: json` step may declare.
///
/// Small on purpose: every keyword here is one pflow checks itself and one OpenAI's strict
/// structured outputs accept, so a schema means the same to the model and to validation.
/// Anything else is a decode error rather than a keyword silently ignored.
public struct JSONSchema: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case object
        case array
        case string
        case number
        case integer
        case boolean
        case null
    }

    /// One entry of `properties`, in the order written.
    public struct Property: Sendable, Hashable {
        public var name: String
        public var schema: JSONSchema

        public init(name: String, schema: JSONSchema) {
            self.name = name
            self.schema = schema
        }
    }

    public static let keywords = [
        "type", "properties", "required", "items", "enum", "const", "minItems", "maxItems", "minimum", "maximum",
        "additionalProperties", "description",
    ]

    public let type: Kind?
    public let properties: [Property]
    public let required: [String]
    /// `items`, boxed in an array of at most one: a struct cannot hold itself directly.
    private let itemsBox: [JSONSchema]
    public var items: JSONSchema? { itemsBox.first }
    public let allowed: [JSONValue]?
    public let constant: JSONValue?
    public let minItems: Int?
    public let maxItems: Int?
    public let minimum: Double?
    public let maximum: Double?
    /// `additionalProperties`; only `false` and `true` are in the subset.
    public let additionalProperties: Bool?
    public let description: String?
    public let location: SourceLocation

    public init(
        type: Kind? = nil, properties: [Property] = [], required: [String] = [], items: JSONSchema? = nil,
        allowed: [JSONValue]? = nil, constant: JSONValue? = nil, minItems: Int? = nil, maxItems: Int? = nil,
        minimum: Double? = nil, maximum: Double? = nil, additionalProperties: Bool? = nil,
        description: String? = nil, location: SourceLocation
    ) {
        self.type = type
        self.properties = properties
        self.required = required
        self.itemsBox = items.map { [$0] } ?? []
        self.allowed = allowed
        self.constant = constant
        self.minItems = minItems
        self.maxItems = maxItems
        self.minimum = minimum
        self.maximum = maximum
        self.additionalProperties = additionalProperties
        self.description = description
        self.location = location
    }

    public func property(_ name: String) -> JSONSchema? { properties.first { $0.name == name }?.schema }
}

/// What a step's answer is: free text, or one JSON value (`format: json`).
public enum OutputFormat: String, Sendable, Hashable, CaseIterable {
    case text
    case json
}
