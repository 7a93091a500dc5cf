import Testing

@testable import PFlowSpec

/// The provider and step keys that hosted APIs need: the transport, private CAs, the
/// output-limit field, reasoning effort, extended thinking and truncated answers.
@Suite struct HostedAPIKeysTests {
    @Test func everyNewKeyDecodes() throws {
        let result = load(
            """
            version: 1
            name: keys
            providers:
              gpt:
                kind: openai
                model: gpt-5-mini
                transport: urlsession
                ca_file: certs/ca.pem
                max_tokens_field: max_completion_tokens
            defaults: { reasoning_effort: low, on_truncated: accept }
            steps:
              - id: a
                prompt: hi
                thinking: 2048
                on_truncated: fail
            """)
        #expect(result.rendered == [])
        let workflow = try #require(result.workflow)
        let gpt = try #require(workflow.provider(named: "gpt"))
        #expect(gpt.transport == .urlsession && gpt.caFile == "certs/ca.pem")
        #expect(gpt.maxTokensField == .maxCompletionTokens)
        #expect(workflow.defaults.reasoningEffort == .low && workflow.defaults.onTruncated == .accept)
        guard case .step(let step) = workflow.steps[0] else {
            Issue.record("not a step")
            return
        }
        let settings = StepSettings(step: step, workflow: workflow)
        #expect(settings.reasoningEffort == .low && settings.thinkingBudget == 2048 && settings.onTruncated == .fail)
        #expect(settings.temperature == nil, "temperature is sent only when the workflow sets it")
    }

    @Test func badValuesAreDiagnosedWhereTheyAreWritten() {
        let result = load(
            """
            version: 1
            name: keys
            providers:
              gpt: { kind: openai, model: m, transport: curl, max_tokens_field: max_output }
            steps:
              - id: a
                prompt: hi
                reasoning_effort: extreme
                thinking: 10
                on_truncated: maybe
            """)
        #expect(
            result.rendered == [
                "test.yaml:4:45: error: 'transport' must be nio or urlsession, found 'curl'",
                "test.yaml:4:69: error: 'max_tokens_field' must be max_tokens or max_completion_tokens, found 'max_output'",
                "test.yaml:8:23: error: 'reasoning_effort' must be minimal, low, medium or high, found 'extreme'",
                "test.yaml:9:15: error: 'thinking' must be 1024 or more, found 10",
                "test.yaml:10:19: error: 'on_truncated' must be fail or accept, found 'maybe'",
            ])
    }
}
