import Testing

@testable import PFlowSpec

/// One fixture under Tests/Fixtures/invalid per rule, with the exact diagnostics it must give.
@Suite struct ValidationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var fixture: String
        var environment: [String: String]
        var expected: [String]

        init(_ fixture: String, environment: [String: String] = [:], _ expected: [String]) {
            self.fixture = fixture
            self.environment = environment
            self.expected = expected
        }

        var testDescription: String { fixture }
    }

    static let cases: [Case] = [
        Case(
            "empty-prompt.yaml",
            [
                "invalid/empty-prompt.yaml:3:5: error: 'prompt' is empty",
                "invalid/empty-prompt.yaml:5:5: error: 'prompt' is empty",
            ]),
        Case(
            "output-is-block.yaml",
            [
                "invalid/output-is-block.yaml:7:9: error: 'output' must name a single step, but 'analysts' is a parallel block\n    note: add a final step whose prompt reads {{ steps.analysts.outputs }}"
            ]),
        Case(
            "colon-in-plain-value.yaml",
            [
                "invalid/colon-in-plain-value.yaml:3:29: error: YAML syntax: mapping values are not allowed in this context\n    note: a ': ' inside an unquoted value starts a mapping; put the value in quotes or use a '|' block"
            ]),
        Case(
            "api-key-env-unset.yaml",
            [
                "invalid/api-key-env-unset.yaml:5:18: warning: environment variable 'PFLOW_TEST_UNSET_KEY' for provider 'gpt' is not set; 'pflow run' will refuse to start"
            ]),
        Case(
            "bad-choice.yaml",
            [
                "invalid/bad-choice.yaml:2:14: error: 'kind' must be mock, openai or anthropic, found 'openia'\n    note: did you mean 'openai'?",
                "invalid/bad-choice.yaml:6:19: error: 'stragglers' must be wait or cancel, found 'cancle'\n    note: did you mean 'cancel'?",
                "invalid/bad-choice.yaml:10:23: error: 'on_timeout' must be retry, skip or fail, found 'skp'\n    note: did you mean 'skip'?",
            ]),
        Case(
            "bad-duration.yaml",
            [
                "invalid/bad-duration.yaml:1:10: error: 'timeout' is not a duration: '10 minutes'\n    note: write durations like 250ms, 30s, 2m, 1h or 1m30s",
                "invalid/bad-duration.yaml:3:12: error: 'timeout: 30' has no unit\n    note: write 30s, 30ms or 30m",
                "invalid/bad-duration.yaml:4:23: error: backoff 'initial' is longer than its 'max'",
                "invalid/bad-duration.yaml:8:14: error: 'timeout' must be longer than zero",
                "invalid/bad-duration.yaml:11:14: error: 'timeout' is not a duration: '2s1m'\n    note: write durations like 250ms, 30s, 2m, 1h or 1m30s",
                "invalid/bad-duration.yaml:14:14: error: 'timeout' is longer than the 168h maximum",
            ]),
        Case(
            "bad-numbers.yaml",
            [
                "invalid/bad-numbers.yaml:1:18: error: 'max_concurrency' must be 1 or more, found 0",
                "invalid/bad-numbers.yaml:3:12: error: 'retries' must be 0 or more, found -1",
                "invalid/bad-numbers.yaml:7:20: error: 'min_success' must be 1 or more, found 0",
                "invalid/bad-numbers.yaml:8:24: error: 'max_concurrency' must be 1 or more, found -4",
                "invalid/bad-numbers.yaml:9:15: error: 'repeat' must be 1 or more, found 0",
                "invalid/bad-numbers.yaml:15:20: error: 'min_success' must be a percentage above 0% and at most 100%, found 120%",
                "invalid/bad-numbers.yaml:20:20: error: 'min_success' must be all, a number of branches or a percentage like 90%, found 'most'",
                "invalid/bad-numbers.yaml:24:23: error: 'max_tokens' must be 1 or more, found 0",
            ]),
        Case(
            "bad-reference.yaml",
            [
                "invalid/bad-reference.yaml:3:17: error: templates cannot read environment variables ('env.OPENAI_API_KEY'); secrets never flow into prompts",
                "invalid/bad-reference.yaml:5:14: error: unknown step field 'text' in 'steps.a.text'; expected output, outputs, failed or json",
                "invalid/bad-reference.yaml:5:38: error: 'inputs.x.y' is not a reference; write inputs.NAME",
                "invalid/bad-reference.yaml:7:27: error: '{{' is not closed by '}}'\n    note: write a literal '{{' as {{ '{{' }}",
            ]),
        Case(
            "bad-version.yaml",
            [
                "invalid/bad-version.yaml:1:10: error: unsupported version 2; this pflow reads version 1"
            ]),
        Case(
            "block-shape.yaml",
            [
                "invalid/block-shape.yaml:3:5: error: 'parallel' must be the only key of its list item; put 'id' inside the block\n    note: indent the block's keys under 'parallel:'",
                "invalid/block-shape.yaml:9:7: error: parallel 'both' has both 'steps' and 'repeat'/'step'; use one",
                "invalid/block-shape.yaml:14:11: error: parallel 'nothing' needs 'steps', or 'repeat' with 'step'",
                "invalid/block-shape.yaml:16:11: error: sequence 'lane' needs 'steps'",
                "invalid/block-shape.yaml:18:7: error: map 'nowhere' needs 'over': glob, items, lines or input",
            ]),
        Case(
            "duplicate-id.yaml",
            [
                "invalid/duplicate-id.yaml:7:15: error: duplicate id 'draft'\n    note: 'draft' is first declared at invalid/duplicate-id.yaml:2:9",
                "invalid/duplicate-id.yaml:9:15: error: the id 'Reviews' differs from 'reviews' only in case; their output files would collide\n    note: 'reviews' is declared at invalid/duplicate-id.yaml:5:11",
            ]),
        Case(
            "duplicate-key.yaml",
            [
                "invalid/duplicate-key.yaml:4:5: error: duplicate key 'prompt'\n    note: 'prompt' is first set at invalid/duplicate-key.yaml:3:5"
            ]),
        Case(
            "inner-step-id.yaml",
            [
                "invalid/inner-step-id.yaml:6:9: error: the step of parallel 'votes' cannot have its own 'id'\n    note: its branches are named votes.0, votes.1, ...",
                "invalid/inner-step-id.yaml:12:9: error: the step of map 'each' cannot have its own 'needs'\n    note: put 'needs' on the block",
            ]),
        Case(
            "insecure-http.yaml", environment: ["PFLOW_TEST_KEY": "set"],
            [
                "invalid/insecure-http.yaml:2:3: error: provider 'remote' would send its API key unencrypted to llm.example.com\n    note: use https, or set 'allow_insecure: true' if the network is trusted"
            ]),
        Case(
            "map-item-outside-map.yaml",
            [
                "invalid/map-item-outside-map.yaml:7:46: error: unknown field 'conent' of map item 'paper'; expected name, path, content or index\n    note: did you mean 'content'?",
                "invalid/map-item-outside-map.yaml:7:65: error: unknown reference 'item'; the items of map 'papers' are named 'paper'",
                "invalid/map-item-outside-map.yaml:9:21: error: 'paper.content' is only defined inside map 'papers'",
                "invalid/map-item-outside-map.yaml:14:41: error: 'item.path' is only defined when the map reads files with 'glob'",
            ]),
        Case(
            "map-path-outside.yaml",
            [
                "invalid/map-path-outside.yaml:4:21: error: '../../etc/*' reaches outside the workflow's folder\n    note: map paths are relative to the workflow file and may not start with '/' or '~' or contain '..'\n    note: pass --allow-outside to allow it",
                "invalid/map-path-outside.yaml:9:22: error: '/etc/hosts' reaches outside the workflow's folder\n    note: map paths are relative to the workflow file and may not start with '/' or '~' or contain '..'\n    note: pass --allow-outside to allow it",
            ]),
        Case(
            "min-success-above-children.yaml",
            [
                "invalid/min-success-above-children.yaml:4:20: error: 'min_success: 3' is more than the 2 branches of parallel 'two'",
                "invalid/min-success-above-children.yaml:13:20: error: 'min_success: 6' is more than the 5 branches of parallel 'votes'",
                "invalid/min-success-above-children.yaml:19:20: error: 'min_success: 4' is more than the 2 branches of map 'listed'",
            ]),
        Case(
            "missing-id.yaml",
            [
                "invalid/missing-id.yaml:2:5: error: a step needs an 'id'",
                "invalid/missing-id.yaml:4:7: error: a parallel block needs an 'id'",
            ]),
        Case(
            "missing-output-step.yaml",
            [
                "invalid/missing-output-step.yaml:4:9: error: output step 'synthesys' does not exist\n    note: did you mean 'synthesis'?"
            ]),
        Case(
            "missing-prompt.yaml",
            [
                "invalid/missing-prompt.yaml:2:9: error: step 'silent' needs a 'prompt'"
            ]),
        Case(
            "no-default-provider.yaml",
            [
                "invalid/no-default-provider.yaml:5:9: error: step 'a' has no provider\n    note: set 'provider' on the step or 'provider' under 'defaults'"
            ]),
        Case(
            "output-field-mismatch.yaml",
            [
                "invalid/output-field-mismatch.yaml:10:14: error: 'steps.single.outputs' needs a block, but 'single' is a single step\n    note: use steps.single.output for its text",
                "invalid/output-field-mismatch.yaml:10:41: error: 'steps.single.failed' needs a block, but 'single' is a single step\n    note: use steps.single.output for its text",
                "invalid/output-field-mismatch.yaml:10:67: error: 'steps.many.output' reads one step's text, but 'many' is a parallel block\n    note: use steps.many.outputs for its branches' texts",
            ]),
        Case(
            "provider-without-model.yaml",
            [
                "invalid/provider-without-model.yaml:2:3: error: provider 'local' (openai) has no 'model', and step 'a' sets none\n    note: set 'model' on the provider, under 'defaults' or on each step"
            ]),
        Case(
            "stragglers-without-policy.yaml",
            [
                "invalid/stragglers-without-policy.yaml:4:19: warning: 'stragglers: cancel' has no effect while every branch must succeed\n    note: set 'min_success' to the number of branches to wait for"
            ]),
        Case(
            "tab-indentation.yaml",
            [
                "invalid/tab-indentation.yaml:3:1: error: YAML syntax: found a tab character that violates indentation\n    note: while scanning a plain scalar started at invalid/tab-indentation.yaml:2:9\n    note: YAML does not allow tabs for indentation; indent with spaces"
            ]),
        Case(
            "temperature-range.yaml",
            [
                "invalid/temperature-range.yaml:2:16: error: 'temperature' must be between 0 and 2, found 2.5",
                "invalid/temperature-range.yaml:6:18: error: 'temperature' must be between 0 and 2, found -0.1",
            ]),
        Case(
            "unknown-input.yaml",
            [
                "invalid/unknown-input.yaml:5:20: error: unknown input 'traget'\n    note: did you mean 'target'?",
                "invalid/unknown-input.yaml:5:48: error: unknown reference 'target'\n    note: did you mean 'inputs.target'?",
            ]),
        Case(
            "unknown-key.yaml",
            [
                "invalid/unknown-key.yaml:3:1: error: unknown key 'step' in the workflow\n    note: did you mean 'steps'?",
                "invalid/unknown-key.yaml:7:5: error: unknown key 'promt' in a step\n    note: did you mean 'prompt'?",
                "invalid/unknown-key.yaml:8:5: error: unknown key 'temprature' in a step\n    note: did you mean 'temperature'?",
                "invalid/unknown-key.yaml:9:5: error: unknown key 'colour' in a step\n    note: expected one of: id, prompt, system, provider, model, temperature, max_tokens, timeout, retries, backoff, on_timeout, needs, reasoning_effort, thinking, on_truncated, format, schema, schema_file, repair",
            ]),
        Case(
            "unknown-needs.yaml",
            [
                "invalid/unknown-needs.yaml:8:19: error: 'needs' names an unknown step 'patnets'\n    note: did you mean 'patents'?"
            ]),
        Case(
            "unknown-provider.yaml",
            [
                "invalid/unknown-provider.yaml:5:13: error: unknown provider 'fsat'\n    note: did you mean 'fast'?",
                "invalid/unknown-provider.yaml:8:15: error: unknown provider 'smrat'\n    note: did you mean 'smart'?",
                "invalid/unknown-provider.yaml:11:15: error: unknown provider 'elsewhere'\n    note: declared providers: fast, smart",
            ]),
        Case(
            "unknown-step-reference.yaml",
            [
                "invalid/unknown-step-reference.yaml:6:13: error: 'steps.breif.output' refers to an unknown step 'breif'\n    note: did you mean 'brief'?",
                "invalid/unknown-step-reference.yaml:7:11: error: 'steps.nothing_like_it.output' refers to an unknown step 'nothing_like_it'",
            ]),
        Case(
            "unsafe-id.yaml",
            [
                "invalid/unsafe-id.yaml:1:7: error: the workflow name 'my workflow' contains ' '; ids may only use letters, digits, '_' and '-'",
                "invalid/unsafe-id.yaml:3:9: error: the id 'part.one' contains '.'; ids may only use letters, digits, '_' and '-'",
                "invalid/unsafe-id.yaml:5:9: error: the id 'con' is a reserved file name",
                "invalid/unsafe-id.yaml:7:9: error: the id '_hidden' must start with a letter or a digit",
                "invalid/unsafe-id.yaml:9:9: error: the id 'a/b' contains '/'; ids may only use letters, digits, '_' and '-'",
            ]),
        Case(
            "wrong-type.yaml",
            [
                "invalid/wrong-type.yaml:1:18: error: 'max_concurrency' must be an integer, found a string\n    note: quoted values are strings; remove the quotes",
                "invalid/wrong-type.yaml:3:12: error: 'retries' must be an integer, found a list",
                "invalid/wrong-type.yaml:4:16: error: 'temperature' must be a number, found a string",
                "invalid/wrong-type.yaml:7:13: error: 'prompt' must be text, found a list",
                "invalid/wrong-type.yaml:8:12: error: 'needs' must be a list of step ids, found a mapping",
                "invalid/wrong-type.yaml:11:17: error: 'max_tokens' must be an integer, found a number",
            ]),
        Case(
            "json-reference.yaml",
            [
                "invalid/json-reference.yaml:20:13: error: 'steps.extract.json.titel': the answer has no field 'titel' in its schema\n    note: did you mean 'title'?",
                "invalid/json-reference.yaml:20:47: error: 'steps.extract.json.authors[0].nam': 'json.authors[0]' has no field 'nam' in its schema\n    note: did you mean 'name'?",
                "invalid/json-reference.yaml:22:7: error: 'steps.extract.json.title.length': 'json.title' is a string, so it has no field 'length'",
                "invalid/json-reference.yaml:22:45: error: 'steps.plain.json' reads JSON, but 'plain' does not answer JSON\n    note: add 'format: json' to step 'plain', or read its text with steps.plain.output",
                "invalid/json-reference.yaml:22:68: error: 'steps.extract.json.authors[x]' is not a JSON path\n    note: write steps.ID.json, then .field or [index] steps: steps.ID.json.items[0].name",
            ]),
        Case(
            "schema-keyword.yaml",
            [
                "invalid/schema-keyword.yaml:8:32: error: schema keyword 'pattern' is not supported\n    note: pflow checks answers itself and knows: type, properties, required, items, enum, const, minItems, maxItems, minimum, maximum, additionalProperties, description",
                "invalid/schema-keyword.yaml:9:24: error: 'type' must be object, array, string, number, integer, boolean or null, found 'integr'\n    note: did you mean 'integer'?",
                "invalid/schema-keyword.yaml:9:32: error: schema keyword 'minimun' is not supported\n    note: did you mean 'minimum'?",
                "invalid/schema-keyword.yaml:10:25: error: 'required' names 'cuont', which is not under 'properties'\n    note: did you mean 'count'?",
                "invalid/schema-keyword.yaml:11:7: error: schema keyword 'oneOf' is not supported\n    note: pflow checks answers itself and knows: type, properties, required, items, enum, const, minItems, maxItems, minimum, maximum, additionalProperties, description",
                "invalid/schema-keyword.yaml:14:5: error: 'schema' only applies to a step with 'format: json'\n    note: add 'format: json' to the step",
                "invalid/schema-keyword.yaml:15:5: error: 'repair' only applies to a step with 'format: json'\n    note: add 'format: json' to the step",
            ]),
        Case(
            "reduce.yaml",
            [
                "invalid/reduce.yaml:16:21: error: reduce 'verdict' votes on a field, but the branches of 'samples' do not answer JSON\n    note: add 'format: json' to the branch step, or leave out 'field' to vote on the text",
                "invalid/reduce.yaml:19:21: error: 'field: answr': the answer has no field 'answr' in its schema\n    note: did you mean 'answer'?",
                "invalid/reduce.yaml:20:22: error: 'min_agreement' must be a percentage above 0% and at most 100%, like 60%, found '120%'",
                "invalid/reduce.yaml:23:24: error: reduce 'lost' reads an unknown block 'sample'\n    note: did you mean 'samples'?",
                "invalid/reduce.yaml:24:7: error: 'tie' only applies to 'vote'",
                "invalid/reduce.yaml:26:14: error: 'steps.typed-vote.json.winnr': the answer has no field 'winnr' in its schema\n    note: did you mean 'winner'?",
            ]),
        Case(
            "yaml-syntax.yaml",
            [
                "invalid/yaml-syntax.yaml:4:4: error: YAML syntax: did not find expected '-' indicator\n    note: while parsing a block collection started at invalid/yaml-syntax.yaml:2:3"
            ]),
    ]

    @Test(arguments: cases)
    func fixtureGivesExactlyItsDiagnostics(_ c: Case) throws {
        let result = try Fixtures.load("invalid", c.fixture, environment: c.environment)
        #expect(result.rendered == c.expected)
    }

    @Test func everyInvalidFixtureHasExpectations() {
        let covered = Set(Self.cases.map(\.fixture) + ["five-mistakes.yaml"])
        #expect(Set(Fixtures.names(in: "invalid")) == covered)
    }

    @Test func fiveMistakesGiveFiveDiagnostics() throws {
        let result = try Fixtures.load("invalid", "five-mistakes.yaml")
        #expect(
            result.rendered == [
                "invalid/five-mistakes.yaml:7:5: error: unknown key 'promt' in a step\n    note: did you mean 'prompt'?",
                "invalid/five-mistakes.yaml:12:27: error: unknown input 'traget'\n    note: did you mean 'target'?",
                "invalid/five-mistakes.yaml:13:20: error: 'timeout' is not a duration: '30 seconds'\n    note: write durations like 250ms, 30s, 2m, 1h or 1m30s",
                "invalid/five-mistakes.yaml:15:21: error: unknown provider 'claude'\n    note: declared providers: mock",
                "invalid/five-mistakes.yaml:19:9: error: output step 'synthesis' does not exist",
            ])
        #expect(result.diagnostics.filter { $0.severity == .error }.count == 5)
    }
}
