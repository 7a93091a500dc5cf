/// What a run would cost and how long the providers' rate limits hold it, worked out
/// before anything is sent: requests, input and output tokens and dollars per step, block
/// and run, expected and in the worst case, and per provider the least time its
/// `requests_per_minute` / `tokens_per_minute` allow and the concurrency they make useful.
///
/// The expected case is one attempt per request, each answering with the answer the caller
/// expects of its provider (the mock's own text; `max_tokens` for a real model, for want
/// of anything better), its prompt rendered with the inputs' values, the expected answers
/// of the steps it quotes and, for a map over literal items, the first item; its input
/// counted at `Budget.typicalTokens`. The worst case is every retry used, each reserving
/// its input as a budget does (`Budget.estimatedInputTokens`) and spending all of
/// `max_tokens`.
public struct CostModel: Sendable, Codable {
    public struct Figures: Sendable, Codable, Hashable {
        public var requests: Int
        public var inputTokens: Int
        public var outputTokens: Int
        /// Nil when a provider involved has no `price`.
        public var dollars: Double?

        static let zero = Figures(requests: 0, inputTokens: 0, outputTokens: 0, dollars: 0)

        static func + (a: Figures, b: Figures) -> Figures {
            Figures(
                requests: a.requests + b.requests, inputTokens: a.inputTokens + b.inputTokens,
                outputTokens: a.outputTokens + b.outputTokens,
                dollars: a.dollars.flatMap { x in b.dollars.map { x + $0 } })
        }

        func scaled(by factor: Int) -> Figures {
            Figures(
                requests: requests * factor, inputTokens: inputTokens * factor, outputTokens: outputTokens * factor,
                dollars: dollars.map { $0 * Double(factor) })
        }
    }

    /// A step, a block or the run.
    public struct Line: Sendable, Codable, Hashable {
        public var id: String
        public var expected: Figures
        public var worstCase: Figures
        /// Maps inside whose width is not known now: the figures leave them out.
        public var unknownWidths: [String]
    }

    public struct ProviderRate: Sendable, Codable, Hashable {
        public var name: String
        public var requestsPerMinute: Int?
        public var tokensPerMinute: Int?
        /// Requests and the tokens the rate limiter counts (estimated input plus `max_tokens`).
        public var requests: Int
        public var limiterTokens: Int
        /// The least time the declared rates allow for these requests; nil without a rate.
        public var minimumSeconds: Double?
        /// Seconds a request takes: the mock's latency, else nil.
        public var latencySeconds: Double?
        /// Requests in flight the rates can keep busy: rate × latency; nil when either is unknown.
        public var usefulConcurrency: Double?
        public var maxConcurrency: Int?
        /// False when the declared `max_concurrency` is more than the rates can ever fill.
        public var maxConcurrencyReachable: Bool?
    }

    /// The figures are for this many runs (`pflow plan --runs N`).
    public var runs: Int
    public var run: Line
    public var blocks: [Line]
    public var steps: [Line]
    public var providers: [ProviderRate]

    /// The answer a provider is expected to give `step` asked `prompt` (the plan's
    /// approximation of the rendered prompt), with the output tokens it counts as; nil:
    /// unknown, `max_tokens` stands in.
    public typealias ExpectedAnswer = (
        _ provider: ProviderSpec?, _ step: StepSpec, _ settings: StepSettings, _ prompt: String
    ) -> (text: String, tokens: Int)?

    public static func make(
        graph: WorkflowGraph, workflow: Workflow, plan: Plan, inputs: [String: String], runs: Int = 1,
        expectedAnswer: @escaping ExpectedAnswer
    ) -> CostModel {
        CostModelMaker(
            graph: graph, workflow: workflow, plan: plan, inputs: inputs, expectedAnswer: expectedAnswer
        ).make(runs: max(1, runs))
    }
}

private struct CostModelMaker {
    let graph: WorkflowGraph
    let workflow: Workflow
    let plan: Plan
    let inputs: [String: String]
    let expectedAnswer: CostModel.ExpectedAnswer

    struct Leaf {
        var id: String
        var node: WorkflowGraph.Node
        var step: StepSpec
        var settings: StepSettings
        var provider: ProviderSpec?
        var width: Int?
    }

    /// A step's expected answer, and its request's prompt and system text as the plan
    /// approximates them.
    struct Expected {
        var answer: String
        var outputTokens: Int
        var promptBytes: Int
    }

    func make(runs: Int) -> CostModel {
        let entries = Dictionary(plan.levels.flatMap(\.steps).map { ($0.id, $0) }) { first, _ in first }
        var leaves: [String: Leaf] = [:]
        for node in graph.nodes {
            guard let step = node.step else { continue }
            let settings = StepSettings(step: step, workflow: workflow)
            leaves[node.id] = Leaf(
                id: node.id, node: node, step: step, settings: settings,
                provider: workflow.provider(named: settings.providerName),
                width: entries[node.id].flatMap { $0.width.isExact ? $0.width.known : nil })
        }
        var expected: [String: Expected] = [:]
        for node in graph.nodes where leaves[node.id] != nil {
            _ = self.expected(node.id, leaves: leaves, cache: &expected)
        }
        var stepLines: [CostModel.Line] = []
        for node in graph.nodes {
            guard let leaf = leaves[node.id], let figures = expected[node.id] else { continue }
            stepLines.append(line(for: leaf, expected: figures))
        }
        let lineByID = Dictionary(uniqueKeysWithValues: stepLines.map { ($0.id, $0) })
        // Blocks of declared children (parallel, sequence); a map or repeat is its own line.
        let blockLines = graph.nodes.filter { $0.kind == .parallel || $0.kind == .sequence }.map { node in
            sum(leafIDs(under: node.id).compactMap { lineByID[$0] }, id: node.id)
        }
        let runLine = sum(stepLines, id: workflow.name)
        return CostModel(
            runs: runs, run: scaled(runLine, runs), blocks: blockLines.map { scaled($0, runs) },
            steps: stepLines.map { scaled($0, runs) },
            providers: rates(leaves: Array(leaves.values), expected: expected, runs: runs))
    }

    private func messages(_ leaf: Leaf) -> Int { leaf.settings.system == nil ? 1 : 2 }

    private func line(for leaf: Leaf, expected: Expected) -> CostModel.Line {
        let width = leaf.width ?? 0
        let attempts = 1 + leaf.settings.retries
        let price = leaf.provider?.price
        func figures(requests: Int, input: Int, output: Int) -> CostModel.Figures {
            CostModel.Figures(
                requests: requests, inputTokens: requests * input, outputTokens: requests * output,
                dollars: price.map { $0.dollars(inputTokens: requests * input, outputTokens: requests * output) })
        }
        return CostModel.Line(
            id: leaf.id,
            expected: figures(
                requests: width, input: Budget.typicalTokens(utf8Bytes: expected.promptBytes),
                output: expected.outputTokens),
            worstCase: figures(
                requests: width * attempts, input: reserved(leaf, expected), output: leaf.settings.maxTokens),
            unknownWidths: leaf.width == nil ? [leaf.id] : [])
    }

    /// The input an attempt reserves in a budget and a rate limiter.
    private func reserved(_ leaf: Leaf, _ expected: Expected) -> Int {
        Budget.estimatedInputTokens(utf8Bytes: expected.promptBytes, messages: messages(leaf))
    }

    private func sum(_ lines: [CostModel.Line], id: String) -> CostModel.Line {
        lines.reduce(CostModel.Line(id: id, expected: .zero, worstCase: .zero, unknownWidths: [])) { total, line in
            CostModel.Line(
                id: id, expected: total.expected + line.expected, worstCase: total.worstCase + line.worstCase,
                unknownWidths: total.unknownWidths + line.unknownWidths)
        }
    }

    private func scaled(_ line: CostModel.Line, _ runs: Int) -> CostModel.Line {
        var line = line
        line.expected = line.expected.scaled(by: runs)
        line.worstCase = line.worstCase.scaled(by: runs)
        return line
    }

    /// The leaves (steps, repeat branches, maps) inside a node, at any depth.
    private func leafIDs(under id: String) -> [String] {
        guard let index = graph.indexByID[id] else { return [] }
        let node = graph.nodes[index]
        return node.step != nil ? [id] : node.children.flatMap { leafIDs(under: $0) }
    }

    /// A step's expected answer, after those its prompt quotes (the graph has no cycles).
    private func expected(_ id: String, leaves: [String: Leaf], cache: inout [String: Expected]) -> Expected? {
        if let known = cache[id] { return known }
        guard let leaf = leaves[id] else { return nil }
        let prompt = text(of: leaf.step.prompt, leaf: leaf, leaves: leaves, cache: &cache)
        let system = leaf.settings.system.map { text(of: $0, leaf: leaf, leaves: leaves, cache: &cache) }
        let answer =
            expectedAnswer(leaf.provider, leaf.step, leaf.settings, prompt)
            ?? (String(repeating: "word ", count: leaf.settings.maxTokens * 4 / 5), leaf.settings.maxTokens)
        let result = Expected(
            answer: answer.text, outputTokens: answer.tokens,
            promptBytes: prompt.utf8.count + (system?.utf8.count ?? 0))
        cache[id] = result
        return result
    }

    /// A template as the run would render it, with the expected answers standing in for
    /// the steps it quotes.
    private func text(of template: Template, leaf: Leaf, leaves: [String: Leaf], cache: inout [String: Expected])
        -> String
    {
        var out = ""
        for segment in template.segments {
            switch segment {
            case .text(let text):
                out += text
            case .reference(let reference):
                switch reference.target {
                case .input(let name):
                    out += inputs[name] ?? workflow.inputs.first { $0.name == name }?.defaultValue ?? ""
                case .stepOutput(let id), .stepJSON(let id, _):
                    out += quoted(id, headings: false, leaves: leaves, cache: &cache)
                case .blockOutputs(let id):
                    out += quoted(id, headings: true, leaves: leaves, cache: &cache)
                case .blockFailed:
                    out += "none"
                case .mapItem:
                    if case .items(let items)? = leaf.node.mapSource?.value, let first = items.first { out += first }
                }
            }
        }
        return out
    }

    /// The text a reference to `id` renders to in the run: a step's answer; a map's,
    /// repeat's or block's branches each under its `## id` heading (`outputs`); a lane's
    /// last item's text. The plan's stand-in for the engine's `TemplateRenderer`; the
    /// `outputs` layout itself is `BlockOutputs`, shared with it.
    private func quoted(_ id: String, headings: Bool, leaves: [String: Leaf], cache: inout [String: Expected])
        -> String
    {
        guard let index = graph.indexByID[id] else { return "" }
        let node = graph.nodes[index]
        if let leaf = leaves[id] {
            let answer = expected(id, leaves: leaves, cache: &cache)?.answer ?? ""
            guard node.kind == .map else { return answer }
            return BlockOutputs.render((0..<(leaf.width ?? 0)).map { (id: "\(id).\($0)", text: answer) })
        }
        if node.kind == .sequence && !headings {
            return node.children.last.map { quoted($0, headings: false, leaves: leaves, cache: &cache) } ?? ""
        }
        return BlockOutputs.render(
            node.children.map { child in
                (id: child, text: quoted(child, headings: false, leaves: leaves, cache: &cache))
            })
    }

    private func rates(leaves: [Leaf], expected: [String: Expected], runs: Int) -> [CostModel.ProviderRate] {
        var order: [String] = []
        var requests: [String: Int] = [:]
        var tokens: [String: Int] = [:]
        var latency: [String: Double] = [:]
        for leaf in leaves.sorted(by: { $0.id < $1.id }) {
            let name = leaf.settings.providerName
            if !order.contains(name) { order.append(name) }
            let width = (leaf.width ?? 0) * runs
            requests[name, default: 0] += width
            let reservedInput = expected[leaf.id].map { reserved(leaf, $0) } ?? 0
            tokens[name, default: 0] += width * (reservedInput + leaf.settings.maxTokens)
            if leaf.provider?.kind ?? .mock == .mock {
                let mock = leaf.provider?.mock ?? ProviderSpec.MockSettings()
                latency[name] = mock.latency.inSeconds + mock.jitter.inSeconds / 2
            }
        }
        return order.map { name in
            let spec = workflow.provider(named: name)
            let count = requests[name] ?? 0
            let counted = tokens[name] ?? 0
            let rpm = spec?.requestsPerMinute
            let tpm = spec?.tokensPerMinute
            // What the limiter lets through at once is free; the rest waits for the refill.
            var minimum: Double?
            if let rpm {
                minimum = RateBurst.seconds(
                    for: Double(count), burst: RateBurst.requests(perMinute: rpm), perMinute: rpm)
            }
            if let tpm {
                let tokenSeconds = RateBurst.seconds(
                    for: Double(counted), burst: RateBurst.tokens(perMinute: tpm), perMinute: tpm)
                minimum = max(minimum ?? 0, tokenSeconds)
            }
            // Requests a second the rates sustain, with the tokens of an average request.
            var perSecond: Double?
            if let rpm { perSecond = Double(rpm) / 60 }
            if let tpm, count > 0 {
                let byTokens = Double(tpm) / 60 / (Double(counted) / Double(count))
                perSecond = min(perSecond ?? byTokens, byTokens)
            }
            let useful = perSecond.flatMap { rate in latency[name].map { rate * $0 } }
            return CostModel.ProviderRate(
                name: name, requestsPerMinute: rpm, tokensPerMinute: tpm, requests: count, limiterTokens: counted,
                minimumSeconds: minimum, latencySeconds: latency[name], usefulConcurrency: useful,
                maxConcurrency: spec?.maxConcurrency,
                maxConcurrencyReachable: spec?.maxConcurrency.flatMap { max in
                    useful.map { Double(max) <= $0.rounded(.up) }
                })
        }
    }
}
