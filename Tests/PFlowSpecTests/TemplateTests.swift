import Testing

@testable import PFlowSpec

@Suite struct TemplateTests {
    /// The prompt of the first step of a one-step workflow written with `prompt` as given.
    private func prompt(_ yaml: String) throws -> (Template, [String]) {
        let result = load("steps:\n  - id: s\n" + yaml)
        let workflow = try #require(result.workflow)
        guard case .step(let step) = try #require(workflow.steps.first) else {
            Issue.record("not a step")
            throw CancellationError()
        }
        return (step.prompt, result.rendered)
    }

    private func columns(_ template: Template) -> [String] {
        template.references.map { "\($0.location.line):\($0.location.column) \($0.expression)" }
    }

    @Test func plainScalarReferencesAreLocatedExactly() throws {
        let (template, diagnostics) = try prompt("    prompt: Write about {{ inputs.x }} and {{steps.s.output}}.\n")
        #expect(columns(template) == ["3:25 inputs.x", "3:44 steps.s.output"])
        #expect(diagnostics == ["test.yaml:3:25: error: unknown input 'x'\n    note: declare it under 'inputs'"])
        #expect(
            template.segments == [
                .text("Write about "),
                .reference(template.references[0]),
                .text(" and "),
                .reference(template.references[1]),
                .text("."),
            ])
    }

    @Test func literalBlockReferencesAreLocatedOnTheirOwnLines() throws {
        let yaml = """
                prompt: |
                  First line.
                    Indented {{ inputs.a }}
                  Last {{ inputs.b }} and {{ inputs.c }}

            """
        let (template, _) = try prompt(yaml)
        #expect(columns(template) == ["5:18 inputs.a", "6:12 inputs.b", "6:31 inputs.c"])
        #expect(template.source == "First line.\n  Indented {{ inputs.a }}\nLast {{ inputs.b }} and {{ inputs.c }}\n")
    }

    @Test func foldedAndQuotedScalarsAreLocatedExactlyWhenTheirBracesMatch() throws {
        let (folded, _) = try prompt("    prompt: >\n      one\n      two {{ inputs.a }}\n")
        #expect(columns(folded) == ["5:11 inputs.a"])
        let (quoted, _) = try prompt("    prompt: \"say \\\"hi\\\" {{ inputs.a }}\"\n")
        #expect(columns(quoted) == ["3:25 inputs.a"])
    }

    @Test func escapesThatHideBracesFallBackToTheScalarStart() throws {
        let (template, _) = try prompt("    prompt: \"\\u007b{ inputs.a }} {{ inputs.b }}\"\n")
        #expect(columns(template) == ["3:13 inputs.a", "3:13 inputs.b"])
    }

    @Test func escapedOpeningBracesAreText() throws {
        let (template, diagnostics) = try prompt("    prompt: \"Use {{ '{{' }} name }} literally\"\n")
        #expect(diagnostics.isEmpty)
        #expect(template.segments == [.text("Use {{ name }} literally")])
    }

    @Test(arguments: [
        ("{{ inputs.a }}", TemplateReference.Target.input("a")),
        ("{{ steps.b.output }}", .stepOutput("b")),
        ("{{ steps.b.outputs }}", .blockOutputs("b")),
        ("{{ steps.b.failed }}", .blockFailed("b")),
        ("{{ paper }}", .mapItem(variable: "paper", field: nil)),
        ("{{ paper.content }}", .mapItem(variable: "paper", field: "content")),
    ])
    func expressionsParse(_ text: String, _ target: TemplateReference.Target) throws {
        let expression = String(text.dropFirst(2).dropLast(2)).trimmingCharactersInWhitespace()
        #expect(try TemplateParser.target(of: expression).get() == target)
    }

    @Test(arguments: [
        (
            "{{ env.HOME }}",
            "test.yaml:3:28: error: templates cannot read environment variables ('env.HOME'); secrets never flow into prompts"
        ),
        (
            "{{ steps.s.foo }}",
            "test.yaml:3:28: error: unknown step field 'foo' in 'steps.s.foo'; expected output, outputs, failed or json"
        ),
        (
            "{{ steps.s.outptu }}",
            "test.yaml:3:28: error: unknown step field 'outptu' in 'steps.s.outptu'; expected output, outputs, failed or json\n    note: did you mean 'output'?"
        ),
        (
            "{{ inputs.x",
            "test.yaml:3:28: error: '{{' is not closed by '}}'\n    note: write a literal '{{' as {{ '{{' }}"
        ),
        ("{{ }}", "test.yaml:3:28: error: empty reference '{{ }}'"),
        (
            "{{ steps.s }}",
            "test.yaml:3:28: error: 'steps.s' is not a reference; write steps.ID.output, steps.ID.outputs or steps.ID.failed"
        ),
    ])
    func badReferencesAreDiagnosedAtTheirColumn(_ text: String, _ expected: String) throws {
        let (_, diagnostics) = try prompt("    prompt: \"go {{ '{{' }} \(text)\"\n")
        #expect(diagnostics == [expected])
    }
}
