import Testing

@testable import PFlowSpec

/// The JSON reader, the schema check of answers, and typed references that resolve.
@Suite struct JSONSchemaTests {
    static let schemaWorkflow = """
        steps:
          - id: extract
            prompt: Extract.
            format: json
            schema:
              type: object
              additionalProperties: false
              properties:
                title: { type: string }
                year: { type: integer, minimum: 1900, maximum: 2100 }
                tags: { type: array, items: { type: string, enum: [a, b] }, maxItems: 2 }
              required: [title, year]
          - id: use
            prompt: "{{ steps.extract.json }} {{ steps.extract.json.tags[1] }} {{ steps.extract.json.year }}"
        """

    private func schema() throws -> JSONSchema {
        let result = load(Self.schemaWorkflow)
        #expect(result.rendered == [])
        guard case .step(let step) = result.workflow?.steps.first, let schema = step.schema else {
            throw SchemaMissing()
        }
        return schema
    }

    struct SchemaMissing: Error {}

    @Test func formatRepairAndStructuredOutputsDecode() throws {
        let result = load(
            """
            providers:
              gpt: { kind: openai, model: m, structured_outputs: true }
            steps:
              - id: a
                prompt: p
                format: json
                repair: 3
              - id: b
                prompt: p
                format: xml
            """)
        #expect(
            result.rendered == [
                "test.yaml:10:13: error: 'format' must be text or json, found 'xml'"
            ])
        #expect(result.workflow?.provider(named: "gpt")?.structuredOutputs == true)
        guard case .step(let a) = result.workflow?.steps.first else { throw SchemaMissing() }
        #expect(a.format == .json && a.repair == 3 && a.schema == nil)
    }

    @Test func typedReferencesParseWithTheirPath() {
        let result = load(Self.schemaWorkflow)
        guard case .step(let use) = result.workflow?.steps.last else {
            Issue.record("no step")
            return
        }
        #expect(
            use.prompt.references.map(\.target) == [
                .stepJSON("extract", path: []), .stepJSON("extract", path: [.field("tags"), .index(1)]),
                .stepJSON("extract", path: [.field("year")]),
            ])
    }

    @Test func anIndexPastMaxItemsIsAnError() {
        let result = load(Self.schemaWorkflow.replacingOccurrences(of: "tags[1]", with: "tags[2]"))
        #expect(
            result.rendered == [
                "test.yaml:14:39: error: 'steps.extract.json.tags[2]': 'json.tags' holds at most 2 items, so [2] never exists"
            ])
    }

    @Test func readingJSONFromABlockPointsAtCollect() {
        let result = load(
            """
            steps:
              - parallel:
                  id: samples
                  repeat: 2
                  step: { prompt: p, format: json }
              - id: use
                prompt: "{{ steps.samples.json }}"
            """)
        #expect(
            result.rendered == [
                "test.yaml:7:14: error: 'steps.samples.json' reads JSON, but 'samples' is a parallel block\n    note: a 'reduce' step with 'collect: { over: samples }' gives its branches' answers as one JSON array"
            ])
    }

    @Test func aValidAnswerHasNoViolations() throws {
        let value = try JSONValue.parse(#"{"title": "Q", "year": 2024, "tags": ["a"]}"#)
        #expect(try schema().violations(of: value) == [])
    }

    @Test func everyViolationIsNamedWithItsPath() throws {
        let value = try JSONValue.parse(#"{"title": 3, "year": 1800.5, "tags": ["a", "c", "b"], "extra": null}"#)
        #expect(
            try schema().violations(of: value).map(\.description) == [
                "$.title: expected a string, found an integer",
                "$.year: expected an integer, found a number",
                "$.tags: allows at most 2 items, found 3",
                "$.tags[1]: must be one of \"a\", \"b\", found \"c\"",
                "$: unexpected field 'extra'",
            ])
        #expect(
            try schema().violations(of: .object([])).map(\.description) == [
                "$: missing required field 'title'", "$: missing required field 'year'",
            ])
    }

    @Test(arguments: [
        (#"{"a": [1, 2.5, -3e2, true, false, null, "x\"\u00e9\n"]}"#, #"{"a":[1,2.5,-300,true,false,null,"x\"é\n"]}"#),
        ("```json\n{\"b\": {}}\n```\n", #"{"b":{}}"#),
        ("  [ ]  ", "[]"),
        (#""\ud83d\ude00""#, #""😀""#),
    ])
    func jsonRoundTripsCompactly(_ text: String, _ compact: String) throws {
        #expect(try JSONValue.parse(text).compactText == compact)
    }

    @Test(arguments: [
        ("", "unexpected end of text at character 1"),
        ("{\"a\" 1}", "expected ':' at character 6"),
        ("[1,]", "expected a JSON value at character 4"),
        ("{} x", "unexpected text after the JSON value at character 4"),
        ("Sure! {\"a\": 1}", "expected a JSON value at character 1"),
        ("\"open", "unterminated string at character 6"),
    ])
    func malformedJSONSaysWhereReadingStopped(_ text: String, _ message: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(text) }
        do {
            _ = try JSONValue.parse(text)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func deepNestingIsRefusedNotRecursedInto() {
        let text = String(repeating: "[", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(text) }
    }
}

/// `schema_file`: read through the caller's reader, beside the workflow, findings in the file.
@Suite struct SchemaFileTests {
    static func load(_ step: String, files: [String: String]) -> LoadResult {
        let text = """
            steps:
              - id: extract
                prompt: Extract.
                format: json
            \(step)
            """
        let reader = SchemaFileReader { path in
            guard let text = files[path] else { return .failure(SchemaFileReader.Problem("no such file")) }
            return .success(Array(text.utf8))
        }
        return WorkflowLoader.load(
            source: Array(text.utf8), file: "flows/test.yaml", environment: [:], schemaFiles: reader)
    }

    @Test func aSchemaFileIsReadBesideTheWorkflow() throws {
        let result = Self.load(
            "    schema_file: schemas/a.json",
            files: ["flows/schemas/a.json": #"{"type": "object", "properties": {"x": {"type": "string"}}}"#])
        #expect(result.rendered == [])
        guard case .step(let step) = result.workflow?.steps.first else { throw SchemaMissing() }
        #expect(step.schema?.property("x")?.type == .string)
    }

    struct SchemaMissing: Error {}

    @Test func findingsInASchemaFilePointIntoIt() {
        let result = Self.load(
            "    schema_file: schemas/a.json",
            files: ["flows/schemas/a.json": "{\n  \"type\": \"object\",\n  \"pattern\": \"x\"\n}\n"])
        #expect(
            result.rendered == [
                "flows/schemas/a.json:3:3: error: schema keyword 'pattern' is not supported\n    note: pflow checks answers itself and knows: type, properties, required, items, enum, const, minItems, maxItems, minimum, maximum, additionalProperties, description"
            ])
    }

    @Test(arguments: [
        (
            "    schema_file: ../a.json",
            "flows/test.yaml:5:18: error: '../a.json' reaches outside the workflow's folder\n    note: schema files are relative to the workflow file; pass --allow-outside to allow it"
        ),
        (
            "    schema_file: missing.json",
            "flows/test.yaml:5:18: error: cannot read schema file 'missing.json': no such file"
        ),
        (
            "    schema: { type: string }\n    schema_file: a.json",
            "flows/test.yaml:6:18: error: a step takes 'schema' or 'schema_file', not both"
        ),
    ])
    func aSchemaFileThatCannotBeUsedIsAnError(_ step: String, _ expected: String) {
        #expect(Self.load(step, files: [:]).rendered == [expected])
    }
}
