import Testing

@testable import PFlowSpec

/// The cost model's arithmetic on a real (unpriced-answer) provider, each figure worked
/// out by hand beside it.
@Suite struct CostModelTests {
    static let source = """
        name: costs
        providers:
          gpt:
            kind: openai
            model: gpt-test
            base_url: http://127.0.0.1:9/v1
            max_concurrency: 20
            requests_per_minute: 120
            tokens_per_minute: 60000
            price: { input_per_mtok: 1, output_per_mtok: 2 }
          free: { kind: mock, latency: 1s }
        defaults: { provider: gpt, max_tokens: 100, retries: 1, timeout: 10s }
        steps:
          - map:
              id: each
              over: { items: [abcdefghijkl, abcdefghijkl, abcdefghijkl] }
              step: { prompt: "{{ item }}" }
          - map:
              id: later
              over: { input: topics }
              step: { prompt: "x {{ item }}", provider: free }
        inputs:
          topics: { required: false }
        """

    func cost(runs: Int = 1) throws -> CostModel {
        let compilation = WorkflowCompiler.compile(
            source: Array(Self.source.utf8), file: "costs.yaml", environment: [:])
        let workflow = try #require(compilation.workflow, "\(compilation.diagnostics.map(\.rendered))")
        let graph = try #require(compilation.graph)
        let plan = Plan.make(graph: graph, workflow: workflow, mapWidths: [:])
        return CostModel.make(
            graph: graph, workflow: workflow, plan: plan, inputs: [:], runs: runs,
            expectedAnswer: { _, _, _, _ in nil })
    }

    @Test func aRealModelIsExpectedToWriteAllOfMaxTokens() throws {
        let each = try #require(try cost().steps.first { $0.id == "each" })
        // Three items of 12 bytes: 3 typical tokens in, 100 out (max_tokens), at $1 and $2.
        #expect(each.expected == CostModel.Figures(requests: 3, inputTokens: 9, outputTokens: 300, dollars: 0.000609))
        // Two attempts each, the input reserved: 12 bytes / 3 + 8 of framing = 12.
        #expect(
            each.worstCase == CostModel.Figures(requests: 6, inputTokens: 72, outputTokens: 600, dollars: 0.001272))
        #expect(each.unknownWidths.isEmpty)
    }

    @Test func aMapOfUnknownWidthIsLeftOutAndNamed() throws {
        let run = try cost().run
        #expect(run.unknownWidths == ["later"])
        #expect(run.expected.requests == 3)
        // The mock has no price: the run's dollars are unknown, not zero.
        #expect(run.expected.dollars == nil)
    }

    @Test func theRatesGiveTheLeastTimeAndTheUsefulConcurrency() throws {
        let gpt = try #require(try cost(runs: 100).providers.first { $0.name == "gpt" })
        // 300 requests; two at once, then two a second: (300 - 2) / 2 = 149 s. The tokens
        // (300 × 112 = 33,600) fit in the minute's 60,000 at once.
        #expect(gpt.requests == 300 && gpt.limiterTokens == 33_600)
        #expect(gpt.minimumSeconds == 149)
        // A real model's latency is unknown, so is the useful concurrency.
        #expect(gpt.latencySeconds == nil && gpt.usefulConcurrency == nil && gpt.maxConcurrencyReachable == nil)
        let free = try #require(try cost().providers.first { $0.name == "free" })
        #expect(free.minimumSeconds == nil && free.latencySeconds == 1)
    }

    /// A provider allowing one request a second, each taking two: two in flight are all the
    /// rate can keep busy, so `max_concurrency: 10` is never reached.
    @Test func aMaxConcurrencyBeyondWhatTheRateFillsIsNeverReached() throws {
        let source = """
            name: slow
            providers:
              slow: { kind: mock, latency: 2s, requests_per_minute: 60, max_concurrency: 10 }
            steps:
              - parallel: { id: fan, repeat: 30, step: { prompt: Vote. } }
            """
        let compilation = WorkflowCompiler.compile(source: Array(source.utf8), file: "slow.yaml", environment: [:])
        let workflow = try #require(compilation.workflow)
        let graph = try #require(compilation.graph)
        let cost = CostModel.make(
            graph: graph, workflow: workflow, plan: Plan.make(graph: graph, workflow: workflow, mapWidths: [:]),
            inputs: [:], expectedAnswer: { _, _, _, _ in ("An answer.", 3) })
        let slow = try #require(cost.providers.first)
        #expect(slow.usefulConcurrency == 2)
        #expect(slow.maxConcurrencyReachable == false)
        // One at once, then one a second: 29 s for thirty.
        #expect(slow.minimumSeconds == 29)
        #expect(cost.run.expected.outputTokens == 90)
    }
}
