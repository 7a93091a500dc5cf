@testable import PFlowEngine
import PFlowSpec
import Testing

@Suite("Scale")
struct ScaleTests {
    @Test("a 10,000-branch map on the 0 ms mock completes, with a synthesis over every branch")
    func tenThousandBranches() async throws {
        let workflow = Build.workflow(
            [
                Build.map("fan", over: .items((0..<10_000).map { "item \($0)" }), prompt: "Summarise {{ item }}."),
                Build.step("synthesis", "Merge {{ steps.fan.failed }}"),
            ], providers: [Build.mock()], maxConcurrency: 2_000)
        let test = TestRun()
        let (summary, run) = try await test.run(workflow)
        #expect(summary.status == .succeeded)
        #expect(summary.statusCounts[.succeeded] == 10_001)
        let manifest = try test.manifest(run)
        #expect(manifest.steps.count == 10_001)
        #expect(manifest.steps[9_999].id == "fan.9999")
    }

    @Test("a map wider than its window never has more branch tasks alive than the window")
    func branchWindowBoundsLiveTasks() async throws {
        let width = NodeExecutor.branchWindow + 2_000
        // One request at a time: without the window every branch would start and wait.
        let workflow = Build.workflow(
            [Build.map("fan", over: .items((0..<width).map { "item \($0)" }), prompt: "{{ item }}", maxConcurrency: 1)],
            providers: [Build.mock()])
        let test = TestRun()
        let (summary, _) = try await test.run(workflow)
        #expect(summary.status == .succeeded)
        var alive = 0
        var peak = 0
        for event in test.recorder.all where event.stepID?.hasPrefix("fan.") == true {
            if event.kind == .stepStarted { alive += 1 }
            if event.kind == .stepFinished { alive -= 1 }
            peak = max(peak, alive)
        }
        #expect(alive == 0)
        #expect(peak <= NodeExecutor.branchWindow)
    }
}
