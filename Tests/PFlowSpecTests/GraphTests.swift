import Foundation
import Testing

@testable import PFlowSpec

/// Compiles a fixture under Tests/Fixtures/graph, reported as `graph/NAME`.
func compileGraphFixture(_ name: String) throws -> Compilation {
    WorkflowCompiler.compile(source: try Fixtures.bytes("graph", name), file: "graph/\(name)", environment: [:])
}

@Suite struct GraphTests {
    @Test func structureBecomesNodesAndDeclaredEdges() throws {
        let graph = try #require(try compileGraphFixture("structure.yaml").graph)
        #expect(graph.roots == ["brief", "analysts", "papers", "verdict", "synthesis"])
        #expect(graph.node("analysts")?.children == ["financials", "press", "lane", "regulatory"])
        #expect(graph.node("verdict")?.children == ["verdict.0", "verdict.1", "verdict.2", "verdict.3"])
        #expect(graph.node("verdict.2")?.kind == .repeatBranch(index: 2))
        #expect(graph.node("papers")?.kind == .map)
        #expect(graph.leaves.count == 12)
        let edges = graph.edges.map { "\($0.from) -> \($0.to) \($0.reason) \($0.location.line):\($0.location.column)" }
        #expect(
            edges == [
                "patents -> patent_risk order 23:21",
                "brief -> analysts order 11:11",
                "analysts -> papers order 30:11",
                "papers -> verdict order 35:11",
                "verdict -> synthesis order 39:9",
                "patents -> regulatory needs 27:19",
            ])
    }

    @Test func aStepWaitsForItsOwnEdgesAndThoseOfTheBlocksAroundIt() throws {
        let graph = try #require(try compileGraphFixture("structure.yaml").graph)
        #expect(graph.waitsFor("regulatory") == ["patents", "brief"])
        #expect(graph.waitsFor("patent_risk") == ["patents", "brief"])
        #expect(graph.waitsFor("verdict.1") == ["papers"])
        #expect(graph.settles("brief", before: "patent_risk"))
        #expect(graph.settles("financials", before: "papers"))
        #expect(!graph.settles("financials", before: "press"))
        #expect(!graph.settles("patent_risk", before: "regulatory"))
        #expect(graph.isAncestor("analysts", of: "patent_risk"))
        #expect(!graph.isAncestor("lane", of: "regulatory"))
    }

    @Test func cyclesAreNamedWithTheirPathAndRacesAreStillFound() throws {
        let compilation = try compileGraphFixture("cycle.yaml")
        #expect(compilation.graph == nil)
        #expect(!compilation.isValid)
        #expect(
            compilation.diagnostics.map(\.rendered) == [
                """
                graph/cycle.yaml:10:19: error: dependency cycle: financials -> synthesis -> analysts -> financials
                    note: 'financials' needs 'synthesis' (graph/cycle.yaml:10:19)
                    note: 'synthesis' comes after 'analysts' in its list
                    note: 'analysts' settles only once 'financials', inside it, has
                """,
                "graph/cycle.yaml:13:26: error: step 'financials' is not guaranteed to have finished before 'press'; "
                    + "add needs: [financials]",
                """
                graph/cycle.yaml:20:13: error: dependency cycle: b -> a -> b
                    note: 'b' needs 'a' (graph/cycle.yaml:20:13)
                    note: 'a' needs 'b' (graph/cycle.yaml:17:13)
                """,
            ])
    }

    @Test func needsOnItselfItsBlockOrItsChildIsAnError() throws {
        let compilation = try compileGraphFixture("needs-structure.yaml")
        #expect(compilation.graph == nil)
        #expect(
            compilation.diagnostics.map(\.rendered) == [
                "graph/needs-structure.yaml:6:15: error: 'analysts' cannot need 'press', which is inside it\n"
                    + "    note: 'press' waits for what 'analysts' waits for, so it would wait for itself",
                "graph/needs-structure.yaml:9:19: error: 'financials' cannot need 'analysts', the block that contains it\n"
                    + "    note: a block settles only after the steps inside it, so 'financials' would wait for itself",
                "graph/needs-structure.yaml:12:19: error: 'press' needs itself",
            ])
    }

    @Test func referencesMustReadWhatHasSettledBefore() throws {
        let compilation = try compileGraphFixture("references.yaml")
        #expect(compilation.graph == nil)
        #expect(
            compilation.diagnostics.map(\.rendered) == [
                "graph/references.yaml:10:33: error: step 'financials' is not guaranteed to have finished before 'press'; "
                    + "add needs: [financials]",
                "graph/references.yaml:15:28: error: 'summary' refers to 'analysts', the block that contains it\n"
                    + "    note: a block settles only after the steps inside it, so 'analysts' cannot have finished",
                "graph/references.yaml:17:27: error: 'echo' refers to its own output, which does not exist while it runs",
                "graph/references.yaml:19:24: error: step 'late' is not guaranteed to have finished before 'early'; "
                    + "add needs: [late]",
            ])
    }

    @Test(arguments: ["due-diligence.yaml", "nested-lanes.yaml", "research-papers.yaml", "vote.yaml"])
    func everyExampleCompiles(name: String) throws {
        let url = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("workflows").appendingPathComponent(name)
        let compilation = WorkflowCompiler.compile(
            source: Array(try Data(contentsOf: url)), file: name, environment: [:])
        #expect(compilation.diagnostics.filter { $0.severity == .error }.map(\.rendered) == [])
        #expect(compilation.isValid)
    }
}

@Suite("StepNode.walk: the one walk over a step tree")
struct StepNodeWalkTests {
    @Test("depth first in declaration order, each node with what its parent's visit returned")
    func orderAndContext() throws {
        let result = load(
            """
            providers: { m: { kind: mock } }
            defaults: { provider: m }
            steps:
              - id: first
                prompt: a
              - parallel:
                  id: outer
                  steps:
                    - id: left
                      prompt: b
                    - sequence:
                        id: lane
                        steps:
                          - id: inner
                            prompt: c
                    - parallel:
                        id: votes
                        repeat: 2
                        step: { prompt: d }
              - map:
                  id: each
                  over: { items: [x] }
                  step: { prompt: e }
            """)
        let workflow = try #require(result.workflow)
        var visited: [String] = []
        workflow.steps.walk(from: "top") { node, parent in
            visited.append("\(node.id) in \(parent)")
            return node.id
        }
        #expect(
            visited == [
                "first in top", "outer in top", "left in outer", "lane in outer", "inner in lane", "votes in outer",
                "each in top",
            ])
        var sent: [String] = []
        workflow.steps.walk { node in
            if let step = node.requestStep { sent.append(step.prompt.source) }
        }
        #expect(sent == ["a", "b", "c", "d", "e"])
    }
}
