import Foundation
import Testing

@testable import PFlowEngine
@testable import PFlowSpec

/// `reduce` inside a run: it reads the settled block, writes its files, and is read by
/// later steps like any JSON step.
@Suite struct ReduceRunTests {
    static func workflow(minAgreement: String) throws -> Workflow {
        let text = """
            steps:
              - parallel:
                  id: samples
                  repeat: 7
                  min_success: 5
                  step:
                    prompt: Yes or no?
                    retries: 0
                    format: json
                    schema: { type: object, properties: { answer: { type: string } }, required: [answer] }
              - reduce:
                  id: verdict
                  vote: { over: samples, field: answer }
                  min_agreement: \(minAgreement)
              - id: use
                prompt: "Winner {{ steps.verdict.json.winner }}, {{ steps.verdict.json.counts }}"
            """
        let result = WorkflowLoader.load(source: Array(text.utf8), file: "vote.yaml", environment: [:])
        #expect(result.diagnostics.map(\.rendered) == [])
        return try #require(result.workflow)
    }

    /// Four yes, two no, and samples.6 fails.
    static var provider: ScriptedProvider {
        ScriptedProvider { request throws(ProviderError) in
            let answers = ["yes", "no", "yes", "yes", "no", "yes"]
            guard request.stepID.hasPrefix("samples.") else { return ScriptedProvider.answer(request) }
            let index = Int(request.stepID.dropFirst("samples.".count)) ?? 0
            guard index < answers.count else { throw ProviderError(.client, "refused", httpStatus: 400) }
            return CompletionResponse(text: #"{"answer": "\#(answers[index])"}"#, usage: TokenUsage())
        }
    }

    @Test func aSevenSampleVoteFindsTheWinnerAndCountsTheAbstention() async throws {
        let provider = Self.provider
        let test = TestRun()
        let (summary, run) = try await test.run(try Self.workflow(minAgreement: "60%"), providers: ["mock": provider])
        #expect(summary.status == .succeeded)
        let record = try #require(FileManager.default.contents(atPath: run.directory.recordPath(forStep: "verdict")))
        let json = try #require(try JSONSerialization.jsonObject(with: record) as? [String: Any])
        let value = try #require(json["value"] as? [String: Any])
        #expect(value["winner"] as? String == "yes")
        #expect(value["voters"] as? Int == 6)
        #expect(value["abstained"] as? Int == 1)
        #expect(value["agreement"] as? Double == 0.6667)
        let use = try #require(provider.requests.first { $0.stepID == "use" })
        #expect(use.prompt == #"Winner yes, {"yes":4,"no":2}"#)
        #expect(FileManager.default.fileExists(atPath: run.directory.outputPath(forStep: "verdict")))
    }

    /// The branches finish in whatever order the scheduler gives them; the result is the
    /// same every time.
    @Test func twentyRunsGiveTheSameVerdict() async throws {
        var verdicts: Set<String> = []
        for _ in 0..<20 {
            let test = TestRun()
            let (summary, run) = try await test.run(
                try Self.workflow(minAgreement: "60%"), providers: ["mock": Self.provider])
            #expect(summary.status == .succeeded)
            let data = try #require(FileManager.default.contents(atPath: run.directory.recordPath(forStep: "verdict")))
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let value = try JSONSerialization.data(withJSONObject: json["value"] ?? [:], options: [.sortedKeys])
            verdicts.insert(String(decoding: value, as: UTF8.self))
        }
        #expect(verdicts.count == 1)
    }

    @Test func belowMinAgreementTheRunFailsWithTheCounts() async throws {
        let test = TestRun()
        let (summary, run) = try await test.run(
            try Self.workflow(minAgreement: "80%"), providers: ["mock": Self.provider])
        #expect(summary.status == .failed)
        let manifest = try test.manifest(run)
        #expect(manifest.status(of: "verdict") == .failed)
        #expect(
            manifest.steps.first { $0.id == "verdict" }?.error
                == "no consensus: 'yes' has 4 of 6 votes (67%), below min_agreement 80%; counts: yes 4, no 2; abstained: 1"
        )
        #expect(manifest.status(of: "use") == .skipped)
    }
}
