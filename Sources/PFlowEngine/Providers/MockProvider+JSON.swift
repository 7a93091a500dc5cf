import PFlowSpec

/// The mock's answer to a `format: json` step: a value generated from the step's schema,
/// so every workflow with JSON steps rehearses offline, references and reducers included.
extension MockProvider {
    /// Arrays get at least this many items when the schema allows it: enough for a
    /// `[1]` reference to find something, few enough to read.
    static let mockArrayLength = 2

    /// Deterministic for a (step, attempt): sampling branches get different draws, so a
    /// mock vote over an `enum` has something to count.
    static func json(for request: CompletionRequest, schema: JSONSchema?, seed: UInt64) -> JSONValue {
        var random = SplitMix64(seed: stableHash("json:\(request.stepID)#\(request.attempt)", seed: seed))
        guard let schema else { return .object([JSONMember("answer", .string(text(for: request)))]) }
        return value(of: schema, named: "answer", random: &random)
    }

    private static func value(of schema: JSONSchema, named name: String, random: inout SplitMix64) -> JSONValue {
        if let constant = schema.constant { return constant }
        if let allowed = schema.allowed, !allowed.isEmpty {
            return allowed[Int(random.nextUnit() * Double(allowed.count))]
        }
        switch schema.type ?? (schema.properties.isEmpty ? .string : .object) {
        case .object:
            return .object(
                schema.properties.map { JSONMember($0.name, value(of: $0.schema, named: $0.name, random: &random)) })
        case .array:
            let count = max(schema.minItems ?? 0, min(schema.maxItems ?? mockArrayLength, mockArrayLength))
            let item = schema.items ?? JSONSchema(type: .string, location: schema.location)
            return .array((0..<count).map { index in value(of: item, named: "\(name) \(index + 1)", random: &random) })
        case .string:
            return .string("mock \(name)")
        case .integer, .number:
            let low = schema.minimum ?? 0
            let high = max(low, schema.maximum ?? low + 100)
            let drawn = low + (high - low) * random.nextUnit()
            // Two decimals: a mock figure is read by people, not checked for precision.
            let rounded = schema.type == .integer ? drawn.rounded(.down) : (drawn * 100).rounded(.down) / 100
            return .number(min(high, max(low, rounded)))
        case .boolean:
            return .bool(random.nextUnit() < 0.5)
        case .null:
            return .null
        }
    }
}
