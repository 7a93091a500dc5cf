import Foundation
import Testing

@testable import PFlowSpec

@Suite struct DecoderTests {
    private func workflow(_ name: String) throws -> Workflow {
        try #require(Fixtures.load("valid", name).workflow)
    }

    @Test func designExampleDecodesEveryPart() throws {
        let w = try workflow("design-example.yaml")
        #expect(w.version == 1)
        #expect(w.name == "due-diligence")
        #expect(w.inputs.map(\.name) == ["target", "notes"])
        #expect(w.inputs[0].defaultValue == "Acme Robotics")
        #expect(w.inputs[1].isFile && !w.inputs[1].required)
        #expect(w.providers.map(\.name) == ["fast", "gpt", "claude"])
        let gpt = try #require(w.provider(named: "gpt"))
        #expect(gpt.kind == .openai && gpt.model == "gpt-4o-mini" && gpt.apiKeyEnv == "OPENAI_API_KEY")
        #expect(gpt.maxConcurrency == 16 && gpt.requestsPerMinute == 500)
        #expect(gpt.price == ProviderSpec.Price(inputPerMTok: 0.15, outputPerMTok: 0.60))
        #expect(w.provider(named: "fast")?.mock.latency == .milliseconds(300))
        #expect(w.defaults.provider == "fast" && w.defaults.timeout == .seconds(60) && w.defaults.retries == 2)
        #expect(w.defaults.backoff == Backoff(initial: .milliseconds(500), max: .seconds(20)))
        #expect(w.maxConcurrency == 64 && w.timeout == .seconds(600))
        #expect(w.steps.map(\.id) == ["brief", "analysts", "papers", "verdict", "synthesis"])
        #expect(w.output?.value == "synthesis")

        guard case .parallel(let analysts) = w.steps[1], case .steps(let children) = analysts.branches else {
            Issue.record("analysts is not a parallel block of steps")
            return
        }
        #expect(children.map(\.id) == ["financials", "press", "patents_lane", "regulatory", "leadership"])
        #expect(
            analysts.policy
                == BlockPolicy(
                    minSuccess: .count(4), minSuccessLocation: analysts.policy.minSuccessLocation, stragglers: .wait,
                    timeout: .seconds(120)))
        #expect(children[3].needs.map(\.value) == ["patents"])
        guard case .step(let financials) = children[0] else {
            Issue.record("financials is not a step")
            return
        }
        #expect(financials.timeout == .seconds(30) && financials.onTimeout == .skip)
        #expect(financials.system?.source == "You are a financial analyst.")

        guard case .map(let papers) = w.steps[2] else {
            Issue.record("papers is not a map")
            return
        }
        #expect(papers.source.value == .glob("papers/*.txt") && papers.itemName == "paper")
        #expect(papers.policy.minSuccess == .percent(90) && papers.policy.maxConcurrency == 8)
        #expect(papers.step.id == "papers")
        #expect(
            papers.step.prompt.references.map(\.target) == [
                .mapItem(variable: "paper", field: "name"), .mapItem(variable: "paper", field: "content"),
            ])

        guard case .parallel(let verdict) = w.steps[3], case .repeat(let count, let vote) = verdict.branches else {
            Issue.record("verdict is not a repeat block")
            return
        }
        #expect(count == 5 && vote.id == "verdict" && vote.temperature == 1.0)
    }

    @Test func withoutProvidersTheImplicitMockIsTheDefault() throws {
        let w = try workflow("minimal.yaml")
        #expect(w.providers.map(\.name) == [ProviderSpec.implicitMockName])
        #expect(w.providers.first?.kind == .mock)
        #expect(w.defaults.provider == ProviderSpec.implicitMockName)
        #expect(w.name == "minimal")
    }

    @Test func everyKeyDecodes() throws {
        let w = try workflow("every-key.yaml")
        let local = try #require(w.provider(named: "local"))
        #expect(local.headers == ["X-Team": "research"] && local.baseURL == "http://localhost:11434/v1")
        let sim = try #require(w.provider(named: "sim"))
        #expect(
            sim.mock
                == ProviderSpec.MockSettings(
                    latency: .milliseconds(250), jitter: .milliseconds(50), failureRate: 0.1, timeoutRate: 0.05,
                    seed: 42))
        #expect(w.provider(named: "lan")?.allowInsecure == true)
        #expect(w.defaults.timeout == .seconds(90) && w.defaults.onTimeout == .retry && w.defaults.temperature == 0.7)
        #expect(w.defaults.system?.references.map(\.target) == [.input("topic")])
        #expect(
            w.inputs.first { $0.name == "words" }
                == InputSpec(name: "words", location: SourceLocation(file: "valid/every-key.yaml", line: 8, column: 3)))
        guard case .step(let outline) = w.steps[0] else {
            Issue.record("outline is not a step")
            return
        }
        #expect(outline.provider?.value == "local" && outline.model == "llama3:8b" && outline.temperature == 0)
        #expect(outline.retries == 0 && outline.maxTokens == 200 && outline.onTimeout == .fail)
        #expect(outline.backoff == Backoff(initial: .seconds(1), max: .seconds(2)))
        guard case .parallel(let drafts) = w.steps[1] else {
            Issue.record("drafts is not parallel")
            return
        }
        #expect(drafts.policy.minSuccess == .percent(50) && drafts.policy.stragglers == .cancel)
        #expect(drafts.needs.map(\.value) == ["outline"])
        let sources = w.steps.compactMap { node -> MapSpec.Source? in
            if case .map(let m) = node { return m.source.value }
            return nil
        }
        #expect(sources == [.input("list"), .lines("data/lines.txt"), .items(["one", "two", "three"])])
    }

    @Test func anchorsAndExtensionKeysShareValues() throws {
        let w = try workflow("anchors.yaml")
        let prompts = w.steps.compactMap { node -> String? in
            if case .step(let s) = node { return s.prompt.source }
            return nil
        }
        #expect(prompts == ["Summarise the plan.", "Summarise the plan.", "Again.", "Carefully."])
        guard case .step(let fourth) = w.steps[3] else {
            Issue.record("fourth is not a step")
            return
        }
        // `<<: *careful` brings in the timeout; the step's own retries win over the merged ones.
        #expect(fourth.timeout == .seconds(20) && fourth.retries == 3)
    }

    @Test func aMistakeInAMergedMappingIsReportedWhereItIsWritten() {
        let result = load("x-base: &base\n  retires: 2\nsteps:\n  - id: a\n    <<: *base\n    prompt: A\n")
        #expect(result.rendered.count == 1)
        #expect(
            result.rendered.first?.hasPrefix("test.yaml:2:3: error: unknown key 'retires'") == true,
            "\(result.rendered)")
    }

    @Test func decodingContinuesAfterErrorsAndKeepsTheModel() {
        let result = load("steps:\n  - id: a\n    prompt: A\n    retries: lots\n  - id: b\n    prompt: B\n")
        #expect(result.workflow?.steps.map(\.id) == ["a", "b"])
        #expect(result.rendered == ["test.yaml:4:14: error: 'retries' must be an integer, found a string"])
    }

    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)), ("30s", .seconds(30)), ("2m", .seconds(120)), ("1h", .seconds(3600)),
        ("1m30s", .seconds(90)), ("1.5s", .milliseconds(1500)), ("1h2m3s4ms", .milliseconds(3_723_004)),
    ])
    func durationsParse(_ text: String, _ expected: Duration) {
        #expect(DurationParser.parse(text) == .success(expected))
    }

    @Test(arguments: ["", "s", "30", "1.5", "ten s", "1s1m", "1m1m", "5d", "-1s", "1e3s"])
    func badDurationsAreRefused(_ text: String) {
        #expect((try? DurationParser.parse(text).get()) == nil)
    }

    @Test func suggestionsPreferTheClosestName() {
        #expect(Suggestion.closest(to: "promt", in: WorkflowDecoder.stepKeys) == "prompt")
        #expect(Suggestion.closest(to: "finacials", in: ["financials", "press"]) == "financials")
        #expect(Suggestion.closest(to: "zz", in: ["id", "as"]) == nil)
        #expect(Suggestion.editDistance("ab", "ba") == 1)
    }

    @Test func exampleWorkflowsLoadWithoutErrors() throws {
        let folder = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
            "workflows")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
        #expect(!files.isEmpty)
        for file in files {
            let bytes = Array(try Data(contentsOf: folder.appendingPathComponent(file)))
            let schemaFiles = SchemaFileReader { path in
                .success(Array((try? Data(contentsOf: folder.appendingPathComponent(path))) ?? Data()))
            }
            let result = WorkflowLoader.load(source: bytes, file: file, environment: [:], schemaFiles: schemaFiles)
            #expect(!result.diagnostics.hasErrors, "\(result.rendered.joined(separator: "\n"))")
        }
    }
}

@Suite struct NestingTests {
    /// Blocks nested `levels` deep, in flow style: three YAML levels per block.
    private func nestedBlocks(_ levels: Int) -> String {
        var text = "{id: leaf, prompt: hi}"
        for level in (0..<levels).reversed() {
            text = "{parallel: {id: p\(level), steps: [\(text)]}}"
        }
        return "steps: [\(text)]"
    }

    @Test func deeplyNestedBlocksDecodeAndValidate() throws {
        let result = load(nestedBlocks(80))
        #expect(result.diagnostics.isEmpty)
        var node = try #require(result.workflow?.steps.first)
        var depth = 0
        while case .parallel(let block) = node, case .steps(let children) = block.branches, let child = children.first {
            node = child
            depth += 1
        }
        #expect(depth == 80 && node.id == "leaf")
    }

    @Test func blocksNestedPastTheYAMLCapAreRefused() {
        let result = load(nestedBlocks(100))
        #expect(result.workflow == nil)
        #expect(result.diagnostics.map(\.message) == ["lists and mappings are nested more than 256 deep"])
    }
}
