import Foundation
import Testing

/// `format: json` through the real binary against pflow-mock-server: a wrong-shaped
/// answer is repaired once, over the wire, and both attempts are on record.
@Suite("pflow run with JSON answers against the mock server")
struct StructuredE2ETests {
    @Test(arguments: ["gpt", "claude"])
    func aWrongShapedAnswerIsRepairedOnce(_ provider: String) async throws {
        try await withMockServerProcess { server in
            let workflow = try ServerWorkflow(
                "structured-\(provider)", server: server,
                steps: """
                      - id: judge
                        provider: \(provider)
                        format: json
                        schema:
                          type: object
                          additionalProperties: false
                          properties: { answer: { type: string } }
                          required: [answer]
                        prompt: |
                          Judge it. [mock:step=judge-\(provider) answer-first={"answer":3} answer={"answer":"yes"}]
                      - id: use
                        provider: \(provider)
                        prompt: "[mock:step=use-\(provider)] The verdict was {{ steps.judge.json.answer }}."
                    """)
            defer { workflow.remove() }
            let result = try await workflow.run()
            #expect(result.exitCode == 0, "\(result.stderr)")
            let output = try workflow.output()
            let record = try output.step("judge")
            #expect(record["repairs"] as? Int == 1)
            #expect((record["value"] as? [String: Any])?["answer"] as? String == "yes")
            let attempts = record["attempts"] as? [[String: Any]] ?? []
            #expect(attempts.count == 2)
            #expect(attempts.first?[path: "error", "kind"] as? String == "invalid_output")
            #expect(attempts.first?["repair"] == nil)
            let repair = attempts.last?["repair"] as? String ?? ""
            #expect(repair.contains("$.answer: expected a string, found an integer"), "\(repair)")
            #expect(attempts.last?["status"] as? String == "succeeded")
            #expect(try await server.stats().byStep["judge-\(provider)"]?.requests == 2)
            let use = try output.step("use")["prompt"] as? String ?? ""
            #expect(use.hasSuffix("The verdict was yes."))
        }
    }
}

/// The vote of the issue's "done when", through the binary and the mock server: seven
/// samples answer yes four times, no twice and fail once.
@Suite("pflow run with a reduce vote against the mock server")
struct VoteE2ETests {
    static func steps(minAgreement: String) -> String {
        let yes = #"'answer={"answer":"yes"}'"#
        let no = #"'answer={"answer":"no"}'"#
        return """
              - map:
                  id: samples
                  over: { items: [\([yes, no, yes, yes, no, yes, "status=400"].joined(separator: ", "))] }
                  min_success: 5
                  step:
                    format: json
                    schema: { type: object, properties: { answer: { type: string } }, required: [answer] }
                    prompt: "Yes or no? [mock:step=sample-{{ item.index }} {{ item }}]"
              - reduce:
                  id: verdict
                  vote: { over: samples, field: answer }
                  min_agreement: \(minAgreement)
            """
    }

    @Test func fourYesTwoNoOneFailureElectsYes() async throws {
        try await withMockServerProcess { server in
            let workflow = try ServerWorkflow("vote", server: server, steps: Self.steps(minAgreement: "60%"))
            defer { workflow.remove() }
            let result = try await workflow.run()
            #expect(result.exitCode == 0, "\(result.stderr)")
            let value = try workflow.output().step("verdict")["value"] as? [String: Any] ?? [:]
            #expect(value["winner"] as? String == "yes")
            #expect(value["agreement"] as? Double == 0.6667)
            #expect(value["voters"] as? Int == 6)
            #expect(value["abstained"] as? Int == 1)
            #expect(value["abstained_branches"] as? [String] == ["samples.6"])
            // A workflow that ends with the vote says its tally in result.md, readable.
            let resultFile = try workflow.runDirectory().appendingPathComponent("result.md")
            let tally = try String(contentsOf: resultFile, encoding: .utf8)
            #expect(tally.hasPrefix("# verdict\n\nWinner: **yes**, 4 of 6 votes"), "\(tally)")
        }
    }

    @Test func belowMinAgreementTheRunFailsNamingTheCounts() async throws {
        try await withMockServerProcess { server in
            let workflow = try ServerWorkflow("vote", server: server, steps: Self.steps(minAgreement: "80%"))
            defer { workflow.remove() }
            let result = try await workflow.run()
            #expect(result.exitCode == 1)
            let message =
                "no consensus: 'yes' has 4 of 6 votes (67%), below min_agreement 80%; counts: yes 4, no 2; abstained: 1"
            #expect(result.stdout.contains(message) || result.stderr.contains(message), "\(result.stdout)")
            #expect(try workflow.output().statuses()["verdict"] == "failed")
        }
    }
}
