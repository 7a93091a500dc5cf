/// `format`, `schema` and `repair` of a step: the schema subset is read here, and every
/// keyword outside it is reported where it stands.
extension WorkflowDecoder {
    /// Nesting a schema may use; far beyond any answer a prompt asks for, short of a
    /// recursion the YAML layer's own cap would have to stop.
    static let maxSchemaDepth = 32

    mutating func schema(_ node: YAMLNode, depth: Int = 0) -> JSONSchema? {
        guard depth < Self.maxSchemaDepth else {
            report(.error("the schema nests deeper than \(Self.maxSchemaDepth) levels", at: location(node)))
            return nil
        }
        guard let pairs = node.mapping else {
            if case .invalid = node.content { return nil }
            report(.error("a schema must be a mapping, found \(node.kindDescription)", at: location(node)))
            return nil
        }
        for pair in pairs {
            guard let key = pair.key.scalar?.value, !JSONSchema.keywords.contains(key) else { continue }
            report(.unsupportedSchemaKeyword(key, at: location(pair.key)))
        }
        let f = MappingFields(
            node: node, owner: "a schema",
            entries: Dictionary(
                pairs.compactMap { pair in pair.key.scalar.map { ($0.value, pair) } }, uniquingKeysWith: { a, _ in a }))
        var properties: [JSONSchema.Property] = []
        if let node = f["properties"] {
            if let entries = node.mapping {
                for entry in entries {
                    guard let name = entry.key.scalar?.value, let inner = schema(entry.value, depth: depth + 1) else {
                        continue
                    }
                    properties.append(JSONSchema.Property(name: name, schema: inner))
                }
            } else {
                reportWrongType("properties", expected: "a mapping of field names to schemas", node)
            }
        }
        let required = schemaRequired(f, properties: properties)
        let type: JSONSchema.Kind? = choice(f, "type")
        let minItems = int(f, "minItems", atLeast: 0)
        let maxItems = int(f, "maxItems", atLeast: 0)
        if let minItems, let maxItems, minItems > maxItems, let node = f["minItems"] {
            report(.error("'minItems' \(minItems) is more than 'maxItems' \(maxItems)", at: location(node)))
        }
        let unbounded = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
        return JSONSchema(
            type: type, properties: properties, required: required,
            items: f["items"].flatMap { schema($0, depth: depth + 1) },
            allowed: schemaEnum(f), constant: f["const"].map(jsonValue),
            minItems: minItems, maxItems: maxItems,
            minimum: double(f, "minimum", in: unbounded), maximum: double(f, "maximum", in: unbounded),
            additionalProperties: bool(f, "additionalProperties"),
            description: string(f, "description")?.value, location: location(node))
    }

    /// A schema in its own YAML or JSON file beside the workflow; its findings point into it.
    private mutating func schemaFile(_ path: Located<String>) -> JSONSchema? {
        if !options.allowOutside && MapPaths.reachesOutside(path.value) {
            report(
                .error(
                    "'\(path.value)' reaches outside the workflow's folder", at: path.location,
                    notes: ["schema files are relative to the workflow file; pass --allow-outside to allow it"]))
            return nil
        }
        let folder = file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let resolved = folder.isEmpty ? path.value : folder + "/" + path.value
        let bytes: [UInt8]
        switch schemaFiles.read(resolved) {
        case .success(let read): bytes = read
        case .failure(let problem):
            report(.error("cannot read schema file '\(path.value)': \(problem.message)", at: path.location))
            return nil
        }
        let parsed = YAMLParser.parse(bytes, file: resolved)
        parsed.diagnostics.forEach { report($0) }
        guard let root = parsed.root else { return nil }
        var inner = WorkflowDecoder(file: resolved, source: parsed.source)
        let schema = inner.schema(root)
        inner.diagnostics.forEach { report($0) }
        return schema
    }

    private mutating func schemaRequired(_ f: MappingFields, properties: [JSONSchema.Property]) -> [String] {
        guard let node = f["required"] else { return [] }
        guard let items = node.sequence else {
            reportWrongType("required", expected: "a list of field names", node)
            return []
        }
        var names: [String] = []
        for item in items {
            guard let name = item.scalar?.value else {
                report(.error("'required' must list field names, found \(item.kindDescription)", at: location(item)))
                continue
            }
            if !properties.isEmpty, !properties.contains(where: { $0.name == name }) {
                report(
                    .error(
                        "'required' names '\(name)', which is not under 'properties'", at: location(item),
                        notes: Suggestion.note(for: name, in: properties.map(\.name))))
            }
            names.append(name)
        }
        return names
    }

    private mutating func schemaEnum(_ f: MappingFields) -> [JSONValue]? {
        guard let node = f["enum"] else { return nil }
        guard let items = node.sequence, !items.isEmpty else {
            reportWrongType("enum", expected: "a non-empty list of values", node)
            return nil
        }
        return items.map(jsonValue)
    }

    /// A YAML value as JSON, by the YAML 1.2 core schema: plain `12` is a number, `"12"` a string.
    func jsonValue(_ node: YAMLNode) -> JSONValue {
        switch node.content {
        case .scalar(let scalar):
            if scalar.isNull { return .null }
            if let bool = scalar.bool { return .bool(bool) }
            if let number = scalar.double { return .number(number) }
            return .string(scalar.value)
        case .sequence(let items): return .array(items.map(jsonValue))
        case .mapping(let pairs):
            return .object(pairs.map { JSONMember($0.key.scalar?.value ?? "", jsonValue($0.value)) })
        case .invalid: return .null
        }
    }
}

extension Diagnostic {
    static func unsupportedSchemaKeyword(_ keyword: String, at location: SourceLocation) -> Diagnostic {
        let suggestion = Suggestion.note(for: keyword, in: JSONSchema.keywords)
        return .error(
            "schema keyword '\(keyword)' is not supported", at: location,
            notes: suggestion.isEmpty
                ? ["pflow checks answers itself and knows: \(JSONSchema.keywords.joined(separator: ", "))"]
                : suggestion)
    }
}

extension WorkflowDecoder {
    /// `schema` and `repair` only mean something for a JSON answer: each without
    /// `format: json` is an error rather than a silent no-op.
    mutating func structured(_ spec: StepSpec, _ f: MappingFields) -> StepSpec {
        var spec = spec
        if let node = f["schema"] { spec.schema = schema(node) }
        if let path = string(f, "schema_file") {
            if f.has("schema") {
                report(.error("a step takes 'schema' or 'schema_file', not both", at: path.location))
            } else {
                spec.schema = schemaFile(path)
            }
        }
        guard spec.format != .json else { return spec }
        for key in ["schema", "schema_file", "repair"] where f.has(key) {
            report(
                .error(
                    "'\(key)' only applies to a step with 'format: json'", at: location(f.keyNode(key) ?? f.node),
                    notes: ["add 'format: json' to the step"]))
        }
        return spec
    }
}
