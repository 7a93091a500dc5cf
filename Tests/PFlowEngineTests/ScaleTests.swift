import PFlowSpec
import Testing

@testable import PFlowEngine

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
        // A limit wide enough not to narrow the window, and answers slow enough that the
        // branches past it pile up on its semaphore: only the window keeps them from starting.
        let map = Build.map(
            "fan", over: .items((0..<width).map { "item \($0)" }), prompt: "{{ item }}", maxConcurrency: 5_000)
        let workflow = Build.workflow([map], providers: [Build.mock(settings: .init(latency: .seconds(2)))])
        let test = TestRun()
        let (summary, _) = try await test.run(workflow)
        #expect(summary.status == .succeeded)
        let (peak, alive) = Self.peakAlive(test.recorder.all)
        #expect(alive == 0)
        #expect(peak <= NodeExecutor.branchWindow)
    }

    enum Limit: String, CaseIterable {
        case map, provider, run
    }

    /// A branch beyond twice the tightest limit would only wait on a semaphore, holding
    /// memory; twice keeps the next ones ready for the slots.
    @Test("the window is twice the tightest limit over the map's step", arguments: Limit.allCases)
    func windowFollowsTheTightestLimit(_ limit: Limit) async throws {
        let map = Build.map(
            "fan", over: .items((0..<200).map { "item \($0)" }), prompt: "{{ item }}",
            maxConcurrency: limit == .map ? 3 : nil)
        let workflow = Build.workflow(
            [map],
            providers: [
                Build.mock(maxConcurrency: limit == .provider ? 3 : nil, settings: .init(latency: .milliseconds(10)))
            ],
            maxConcurrency: limit == .run ? 3 : nil)
        let test = TestRun()
        let (summary, _) = try await test.run(workflow)
        #expect(summary.status == .succeeded)
        let (peak, _) = Self.peakAlive(test.recorder.all)
        #expect(peak <= 6)
        #expect(peak > 3, "branches queue for the slots")
    }

    private static func peakAlive(_ events: [RunEvent]) -> (peak: Int, alive: Int) {
        var alive = 0
        var peak = 0
        for event in events where event.stepID?.hasPrefix("fan.") == true {
            if event.kind == .stepStarted { alive += 1 }
            if event.kind == .stepFinished { alive -= 1 }
            peak = max(peak, alive)
        }
        return (peak, alive)
    }
}
