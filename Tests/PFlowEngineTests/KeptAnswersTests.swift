import Foundation
import PFlowSpec
import Testing

@testable import PFlowEngine

/// Only answers a template or result.md can read stay in memory; the rest are on disk.
@Suite("Kept answers")
struct KeptAnswersTests {
    private static let workflow = Build.workflow([
        Build.step("brief", "Write a brief."),
        Build.step("unread", "Nobody quotes this."),
        Build.map("fan", over: .items(["a", "b"]), prompt: "{{ item }}"),
        Build.map("quoted", over: .items(["a", "b"]), prompt: "{{ item }}"),
        Build.repeated("votes", count: 3),
        Build.parallel(
            "panel", [Build.lane("lane", [Build.step("draft"), Build.step("polish")]), Build.step("solo")]),
        Build.step("check", "Failed: {{ steps.fan.failed }}. Brief: {{ steps.brief.output }}"),
        Build.step("merge", "{{ steps.quoted.outputs }} {{ steps.panel.outputs }} {{ steps.votes.outputs }}"),
        Build.step("final", "Done."),
    ])

    @Test("a step, a block, a lane, a map or a repeat that a template reads keeps what is in it")
    func readAnswersAreKept() {
        let kept = KeptAnswers(workflow: Self.workflow, output: "final")
        for id in ["brief", "quoted.0", "quoted.1", "votes.2", "draft", "polish", "solo", "final"] {
            #expect(kept.keeps(id), "\(id)")
        }
        // `failed` lists ids, it reads no answer; nothing reads `unread`, `check` or `merge`.
        for id in ["unread", "fan.0", "fan.1", "check", "merge", "quoted", "quoted.x", "quoted."] {
            #expect(!kept.keeps(id), "\(id)")
        }
    }

    @Test("a run keeps only the answers it can still read, and renders the same")
    func aRunDropsUnreadAnswers() async throws {
        let test = TestRun()
        let (summary, run) = try await test.run(Self.workflow, providers: ["mock": ScriptedProvider.succeeding])
        #expect(summary.status == .succeeded)
        let board = run.executor.board
        #expect(board.settlement(of: "fan.0")?.text == nil)
        #expect(board.settlement(of: "unread")?.text == nil)
        #expect(board.settlement(of: "quoted.1")?.text == "answer from quoted.1")
        let merge = try #require(try test.record(run, step: "merge").prompt)
        for quoted in ["quoted.1", "votes.2", "polish", "solo"] {
            #expect(merge.contains("answer from \(quoted)"), "\(quoted)")
        }
        let check = try test.record(run, step: "check").prompt
        #expect(check == "Failed: none. Brief: answer from brief")
        let result = try #require(summary.resultPath.flatMap { FileManager.default.contents(atPath: $0) })
        #expect(String(decoding: result, as: UTF8.self) == "answer from final")
    }
}
