import Foundation
import Testing

@testable import PFlowEngine
@testable import PFlowSpec

/// `format: json` steps: checking, repairs apart from retries, the parsed value in the
/// record, typed references at run time, and what each provider sends.
@Suite struct StructuredAnswerTests {
    static func workflow(repair: String = "", retries: Int = 0) throws -> Workflow {
        let text = """
            steps:
              - id: judge
                prompt: Is it true?
                format: json
                retries: \(retries)
                \(repair)
                schema:
                  type: object
                  properties:
                    answer: { type: string, enum: [yes, no] }
                    score: { type: integer, minimum: 0, maximum: 10 }
                  required: [answer]
              - id: use
                prompt: "Verdict {{ steps.judge.json.answer }} from {{ steps.judge.json }}"
            """
        let result = WorkflowLoader.load(source: Array(text.utf8), file: "structured.yaml", environment: [:])
        #expect(result.diagnostics.map(\.rendered) == [])
        return try #require(result.workflow)
    }

    /// Answers the judge with `answers` in turn, the rest with plain text.
    static func provider(_ answers: [Result<String, ProviderError>]) -> ScriptedProvider {
        let next = Locked(0)
        return ScriptedProvider { request throws(ProviderError) in
            guard request.stepID == "judge" else { return ScriptedProvider.answer(request) }
            var index = 0
            next.update {
                index = $0
                $0 += 1
            }
            switch answers[min(index, answers.count - 1)] {
            case .success(let text): return CompletionResponse(text: text, usage: TokenUsage(outputTokens: 3))
            case .failure(let error): throw error
            }
        }
    }

    @Test func anInvalidAnswerIsRepairedWithItsErrorsInTheConversation() async throws {
        let provider = Self.provider([.success(#"{"answer": 3}"#), .success(#"{"answer": "yes", "score": 7}"#)])
        let test = TestRun()
        let (summary, run) = try await test.run(try Self.workflow(), providers: ["mock": provider])
        #expect(summary.status == .succeeded)
        let judged = provider.requests.filter { $0.stepID == "judge" }
        #expect(judged.count == 2)
        #expect(judged[0].turns == [])
        #expect(judged[0].answerFormat != .text)
        #expect(judged[0].prompt.contains("It must match this JSON Schema: {\"type\":\"object\""))
        #expect(
            judged[1].turns == [
                ConversationTurn(.assistant, #"{"answer": 3}"#),
                ConversationTurn(
                    .user,
                    "Your answer was rejected: the answer breaks the schema: $.answer: expected a string, found an integer. "
                        + "Reply again with only the corrected JSON value."),
            ])
        let record = try test.record(run, step: "judge")
        #expect(record.repairs == 1)
        #expect(record.attempts.map(\.status) == [.failed, .succeeded])
        #expect(record.attempts.map(\.repair) == [nil, judged[1].turns.last?.text])
        #expect(record.attempts.first?.error?.kind == "invalid_output")
        let file = try String(contentsOfFile: run.directory.recordPath(forStep: "judge"), encoding: .utf8)
        #expect(file.contains(#""value": {"answer":"yes","score":7}"#))
        let use = try #require(provider.requests.first { $0.stepID == "use" })
        #expect(use.prompt == #"Verdict yes from {"answer":"yes","score":7}"#)
    }

    @Test func withoutRepairsAnInvalidAnswerFailsTheStep() async throws {
        let provider = Self.provider([.success("Sure! Here it is.")])
        let test = TestRun()
        let (summary, run) = try await test.run(try Self.workflow(repair: "repair: 0"), providers: ["mock": provider])
        #expect(summary.status == .failed)
        let record = try test.record(run, step: "judge")
        #expect(record.error?.kind == "invalid_output")
        #expect(record.error?.message == "the answer is not valid JSON: expected a JSON value at character 1")
        #expect(provider.attempts(of: "judge") == 1)
    }

    @Test func repairsAndRetriesAreCountedApart() async throws {
        let provider = Self.provider([
            .success("[1]"), .failure(ProviderError(.server, "busy", httpStatus: 503, retryAfter: .zero)),
            .success(#"{"answer": "no"}"#),
        ])
        let test = TestRun()
        // Retry-After: 0 makes the retry's wait zero, so no clock has to move.
        let (summary, run) = try await test.run(try Self.workflow(retries: 1), providers: ["mock": provider])
        #expect(summary.status == .succeeded)
        let record = try test.record(run, step: "judge")
        #expect(record.attempts.count == 3)
        #expect(record.repairs == 1)
        #expect(record.attempts.map { $0.repair != nil } == [false, true, false])
    }

    @Test func theMockAnswersWithAValueItsSchemaAccepts() async throws {
        let workflow = try Self.workflow()
        guard case .step(let judge) = workflow.steps.first, let schema = judge.schema else {
            Issue.record("no schema")
            return
        }
        for attempt in 1...20 {
            var request = CompletionRequest(
                model: "m", system: nil, prompt: "p", maxTokens: 100, stepID: "s\(attempt)", attempt: attempt)
            request.answerFormat = .json(schema)
            let answer = try await MockProvider(name: "mock", settings: .init()).complete(request)
            #expect(schema.violations(of: try JSONValue.parse(answer.text)) == [])
        }
    }

    @Test func openAIAsksForJSONObjectUnlessTheProviderTakesSchemas() throws {
        let workflow = try Self.workflow()
        guard case .step(let judge) = workflow.steps.first, let schema = judge.schema else {
            Issue.record("no schema")
            return
        }
        var request = CompletionRequest(model: "m", system: nil, prompt: "p", maxTokens: 10, stepID: "s", attempt: 1)
        request.answerFormat = .json(schema)
        request.turns = [ConversationTurn(.assistant, "bad"), ConversationTurn(.user, "fix it")]
        let plain = OpenAIProvider.body(of: request, maxTokensField: .maxTokens)
        #expect(plain.contains(#""response_format":{"type":"json_object"}"#))
        #expect(
            plain.contains(
                #""messages":[{"role":"user","content":"p"},{"role":"assistant","content":"bad"},{"role":"user","content":"fix it"}]"#
            ))
        let strict = OpenAIProvider.body(of: request, maxTokensField: .maxTokens, structuredOutputs: true)
        #expect(
            strict.contains(
                #""response_format":{"type":"json_schema","json_schema":{"name":"answer","strict":false,"schema":{"type":"object""#
            ))
        let anthropic = AnthropicProvider.body(of: request, structuredOutputs: true)
        #expect(anthropic.contains(#""output_format":{"type":"json_schema","schema":{"type":"object""#))
        #expect(!AnthropicProvider.body(of: request).contains("output_format"))
    }
}
