import Foundation
import Testing

@testable import PFlowSpec

/// Plans of the fixtures under Tests/Fixtures/graph; each number below is worked out by
/// hand in the comment beside it.
@Suite struct PlanTests {
    func plan(_ name: String, mapWidths: [String: Int] = [:]) throws -> Plan {
        let compilation = try compileGraphFixture(name)
        let graph = try #require(compilation.graph)
        let workflow = try #require(compilation.workflow)
        return Plan.make(graph: graph, workflow: workflow, mapWidths: mapWidths)
    }

    @Test func levelsAreWhatCanStartTogether() throws {
        let plan = try plan("structure.yaml")
        #expect(
            plan.levels.map { $0.steps.map(\.id) } == [
                ["brief"],
                ["financials", "press", "patents"],
                ["patent_risk", "regulatory"],  // after patents, in the lane and through needs
                ["papers"],
                ["verdict.0", "verdict.1", "verdict.2", "verdict.3"],
                ["synthesis"],
            ])
        // The map over three literal items counts them without help.
        #expect(plan.levels.map(\.width.description) == ["1", "3", "2", "3", "4", "1"])
    }

    @Test func criticalPathByTimeAndByRequests() throws {
        let plan = try plan("structure.yaml")
        // press is on 'slow': 1s + 400ms jitter / 2; every other step 100ms.
        #expect(plan.criticalPathByTime.steps == ["brief", "press", "papers", "verdict.0", "synthesis"])
        #expect(plan.criticalPathByTime.seconds.map { ($0 * 1000).rounded() } == 1600)
        #expect(plan.criticalPathByTime.boundedByTimeout.isEmpty)
        #expect(
            plan.criticalPathByRequests.steps
                == ["brief", "patents", "patent_risk", "papers", "verdict.0", "synthesis"])
        #expect(plan.criticalPathByRequests.requests == 6)
    }

    @Test func requestCountsIncludeRetriesInTheWorstCase() throws {
        let plan = try plan("structure.yaml")
        // 9 single requests + 3 map items + 4 repeats; retries 1 doubles each, patent_risk has 3.
        #expect(plan.requests.expected == Plan.Count(known: 14))
        #expect(plan.requests.worstCase == Plan.Count(known: 30))
    }

    @Test func withoutRetriesInTheFileTheBuiltInDefaultCounts() throws {
        let plan = try plan("estimates.yaml")
        // 6 requests; no step or default sets retries, so the engine's built-in 2 apply: 6 × 3.
        #expect(plan.requests.expected == Plan.Count(known: 6))
        #expect(plan.requests.worstCase == Plan.Count(known: 18))
    }

    @Test func aTimeoutStandsInForAProviderWithoutLatency() throws {
        let plan = try plan("estimates.yaml")
        // plan and done: 200ms + 100ms / 2 each; remote: its 30s timeout as an upper bound.
        #expect(plan.criticalPathByTime.steps == ["plan", "remote", "done"])
        #expect(plan.criticalPathByTime.seconds == 30.5)
        #expect(plan.criticalPathByTime.boundedByTimeout == ["remote"])
        #expect(plan.criticalPathByRequests.steps == ["plan", "q1", "q2", "q3", "done"])
        let remote = plan.levels.flatMap(\.steps).first { $0.id == "remote" }
        #expect(remote?.estimateBasis == .timeout)
        #expect(remote?.provider == "gpt")
    }

    @Test func parallelismIsCappedByBlockMapProviderAndRunLimits() throws {
        let plan = try plan("limits.yaml", mapWidths: ["files": 6])
        #expect(plan.levels.map(\.width.description) == ["5", "6", "4", "dynamic"])
        // wide: block max 3. files: map max 4 of 6. mixed: 'capped' allows 2 of c1-c3, + m1.
        // unbounded: no width, so only the run's 10 bounds it.
        #expect(plan.levels.map(\.parallelism) == [3, 4, 3, 10])
        #expect(plan.peakParallelism == 10)
        // files: 6 items in waves of 4 count twice on the chain.
        #expect(plan.criticalPathByRequests.requests == 5)
        #expect(plan.requests.expected == Plan.Count(known: 15, dynamicMaps: ["unbounded"]))
        // retries 2 triple everything but m1.
        #expect(plan.requests.worstCase == Plan.Count(known: 43, dynamicMaps: ["unbounded"]))
    }

    /// A `reduce` is a step of its own level and of the critical path, and sends nothing.
    @Test func aReduceHasItsLevelAndSendsNothing() throws {
        let plan = try plan("reduce.yaml")
        #expect(
            plan.levels.map { $0.steps.map(\.id) } == [
                ["samples.0", "samples.1", "samples.2"], ["verdict"], ["summary"],
            ])
        #expect(plan.levels.map(\.width.description) == ["3", "0", "1"])
        #expect(plan.levels[1].steps.first?.kind == .reduce && plan.levels[1].steps.first?.provider == nil)
        #expect(plan.criticalPathByTime.steps == ["samples.0", "verdict", "summary"])
        #expect(plan.criticalPathByTime.requests == 2)
        #expect(plan.criticalPathByTime.unknown.isEmpty)
        #expect(plan.requests.expected.description == "4")
    }

    @Test func aMapWithNoItemsSendsNothingOnTheChain() throws {
        let plan = try plan("limits.yaml", mapWidths: ["files": 0, "unbounded": 1])
        #expect(plan.criticalPathByRequests.steps == ["w1", "files", "c1", "unbounded"])
        #expect(plan.criticalPathByRequests.requests == 3)
    }

    @Test func aMapOfUnknownWidthWithoutLimitsLeavesParallelismUnbounded() throws {
        let compilation = try compileGraphFixture("limits.yaml")
        var workflow = try #require(compilation.workflow)
        workflow.maxConcurrency = nil
        let plan = Plan.make(graph: try #require(compilation.graph), workflow: workflow, mapWidths: ["files": 2])
        #expect(plan.levels.last?.parallelism == nil)
        #expect(plan.peakParallelism == nil)
    }

    @Test func thePlanEncodesToJSONForMachines() throws {
        let plan = try plan("limits.yaml", mapWidths: ["files": 2, "unbounded": 3])
        let object = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(plan)) as? [String: Any]
        #expect(
            Set(object?.keys.map { $0 } ?? []) == [
                "name", "file", "levels", "criticalPathByTime", "criticalPathByRequests", "requests", "limits",
                "peakParallelism",
            ])
        let decoded = try JSONDecoder().decode(Plan.self, from: try JSONEncoder().encode(plan))
        #expect(decoded.requests.expected == Plan.Count(known: 14))
        #expect(decoded.limits.providers.map(\.name) == ["mock", "capped"])
    }
}
