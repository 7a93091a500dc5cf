import Foundation
import Testing

@testable import PFlowSpec

/// Workflows built in code, so each test shows its whole structure in a few lines.
private enum Build {
    static let file = "test.yaml"

    static func at(_ line: Int, _ column: Int = 1) -> PFlowSpec.SourceLocation {
        SourceLocation(file: file, line: line, column: column)
    }

    /// A template whose `{{ steps.X.output }}` references are placed at `line`, at the
    /// column of their braces.
    static func template(_ text: String, line: Int) -> Template {
        var segments: [Template.Segment] = []
        var rest = text[...]
        while let open = rest.range(of: "{{"), let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) {
            let column = text.distance(from: text.startIndex, to: open.lowerBound) + 1
            let expression = String(rest[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespaces)
            let parts = expression.split(separator: ".").map(String.init)
            let target: TemplateReference.Target =
                switch parts.last {
                case "outputs": .blockOutputs(parts[1])
                case "failed": .blockFailed(parts[1])
                default: .stepOutput(parts[1])
                }
            segments.append(.reference(TemplateReference(target: target, expression: expression, location: at(line, column))))
            rest = rest[close.upperBound...]
        }
        return Template(source: text, segments: segments, location: at(line))
    }

    static func step(
        _ id: String, line: Int, prompt: String = "go", needs: [String] = [], provider: String? = nil,
        timeout: Duration? = nil, retries: Int? = nil
    ) -> StepNode {
        .step(stepSpec(id, line: line, prompt: prompt, needs: needs, provider: provider, timeout: timeout,
                       retries: retries))
    }

    static func stepSpec(
        _ id: String, line: Int, prompt: String = "go", needs: [String] = [], provider: String? = nil,
        timeout: Duration? = nil, retries: Int? = nil
    ) -> StepSpec {
        StepSpec(
            id: id, prompt: template(prompt, line: line + 1), provider: provider.map { Located($0, at: at(line)) },
            timeout: timeout, retries: retries,
            needs: needs.map { Located($0, at: at(line + 2, 12)) }, location: at(line))
    }

    static func parallel(_ id: String, line: Int, maxConcurrency: Int? = nil, _ steps: [StepNode]) -> StepNode {
        .parallel(ParallelSpec(id: id, branches: .steps(steps), policy: BlockPolicy(maxConcurrency: maxConcurrency),
                               location: at(line)))
    }

    static func workflow(_ steps: [StepNode], providers: [ProviderSpec] = [], maxConcurrency: Int? = nil) -> Workflow {
        Workflow(file: file, name: "test", providers: providers, maxConcurrency: maxConcurrency, steps: steps)
    }
}

@Suite struct GraphTests {
    @Test func parallelChildrenShareALevelAndTheNextStepWaitsForTheBlock() throws {
        let workflow = Build.workflow([
            Build.step("brief", line: 1),
            Build.parallel("analysts", line: 5, [
                Build.step("financials", line: 6), Build.step("press", line: 9), Build.step("legal", line: 12),
            ]),
            Build.step("synthesis", line: 20, prompt: "{{ steps.analysts.outputs }}"),
        ])
        let (graph, diagnostics) = WorkflowGraph.build(workflow)
        #expect(diagnostics.isEmpty)
        let plan = Plan.make(graph: try #require(graph), workflow: workflow, mapWidths: [:])
        #expect(plan.levels.map { $0.steps.map(\.id) } == [["brief"], ["financials", "press", "legal"], ["synthesis"]])
        #expect(plan.levels.map(\.width.known) == [1, 3, 1])
        #expect(plan.criticalPathByRequests.steps == ["brief", "financials", "synthesis"])
        #expect(plan.criticalPathByRequests.requests == 3)
        #expect(plan.peakParallelism == 3)
    }

    @Test func aCycleThroughNeedsIsNamedWithItsPath() {
        let workflow = Build.workflow([
            Build.step("a", line: 1, needs: ["c"]),
            Build.step("b", line: 5),
            Build.step("c", line: 9),
        ])
        let (graph, diagnostics) = WorkflowGraph.build(workflow)
        #expect(graph == nil)
        #expect(diagnostics.map(\.rendered) == [
            """
            test.yaml:3:12: error: dependency cycle: a -> c -> b -> a
                note: 'a' needs 'c' (test.yaml:3:12)
                note: 'c' comes after 'b' in its list
                note: 'b' comes after 'a' in its list
            """
        ])
    }

    @Test func aReferenceToASiblingIsNotGuaranteedToHaveFinished() {
        let workflow = Build.workflow([
            Build.parallel("analysts", line: 1, [
                Build.step("financials", line: 2),
                Build.step("press", line: 5, prompt: "See {{ steps.financials.output }}"),
            ])
        ])
        let (graph, diagnostics) = WorkflowGraph.build(workflow)
        #expect(graph == nil)
        #expect(diagnostics.map(\.rendered) == [
            "test.yaml:6:5: error: step 'financials' is not guaranteed to have finished before 'press'; "
                + "add needs: [financials]"
        ])
    }

    @Test func peakParallelismRespectsBlockProviderAndRunLimits() throws {
        let capped = ProviderSpec(name: "slow", kind: .openai, maxConcurrency: 2, location: Build.at(1))
        let workflow = Build.workflow(
            [
                Build.parallel("wide", line: 1, maxConcurrency: 4, (0..<6).map { Build.step("w\($0)", line: 10 + 3 * $0) }),
                Build.parallel("mixed", line: 40, (0..<5).map {
                    Build.step("m\($0)", line: 41 + 3 * $0, provider: $0 < 3 ? "slow" : nil)
                }),
            ], providers: [capped, ProviderSpec(name: "mock", kind: .mock, location: Build.at(2))], maxConcurrency: 3)
        let plan = Plan.make(graph: try #require(WorkflowGraph.build(workflow).graph), workflow: workflow, mapWidths: [:])
        #expect(plan.levels.map(\.width.known) == [6, 5])
        // wide: the block allows 4, the run 3. mixed: 'slow' allows 2 + 2 on the mock = 4, the run 3.
        #expect(plan.levels.map(\.parallelism) == [3, 3])
    }
}
