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
