extension Plan {
    /// Works out the plan of a valid graph. `mapWidths` gives the number of items a map
    /// would expand to now, by map id, for the sources only the caller can read (files,
    /// globs, inputs); a map over literal `items` counts them itself, and any other map
    /// missing from it is "dynamic".
    public static func make(graph: WorkflowGraph, workflow: Workflow, mapWidths: [String: Int]) -> Plan {
        PlanMaker(graph: graph, workflow: workflow, mapWidths: mapWidths).make()
    }
}

/// The arithmetic behind `Plan.make`, over the graph's vertices.
private struct PlanMaker {
    let graph: WorkflowGraph
    let workflow: Workflow
    let mapWidths: [String: Int]
    /// Per node index; nil for blocks.
    let entries: [Plan.Entry?]

    init(graph: WorkflowGraph, workflow: Workflow, mapWidths: [String: Int]) {
        self.graph = graph
        self.workflow = workflow
        self.mapWidths = mapWidths
        entries = graph.nodes.map { node in
            if node.kind == .reduce {
                return Plan.Entry(
                    id: node.id, kind: .reduce, block: node.parent, provider: nil, width: Plan.Count(known: 0),
                    attempts: 1, estimateSeconds: 0, estimateBasis: .inProcess)
            }
            return node.step.map { Self.entry(for: node, step: $0, workflow: workflow, mapWidths: mapWidths) }
        }
    }

    func make() -> Plan {
        let vertices = graph.vertices
        let order = graph.vertexOrder
        let depth = vertices.longestPaths(order: order) { entries[$0] == nil ? 0 : 1 }
        var levelMembers: [Int: [Int]] = [:]
        for index in graph.nodes.indices where entries[index] != nil {
            levelMembers[depth.distance[VertexGraph.start(index)] + 1, default: []].append(index)
        }
        let levels = levelMembers.keys.sorted().map { level(index: $0, members: levelMembers[$0] ?? []) }

        let byCount = vertices.longestPaths(order: order) { waves(of: $0) }
        let byTime = vertices.longestPaths(order: order) { index in
            entries[index].flatMap(\.estimateSeconds).map { $0 * Double(waves(of: index)) } ?? 0
        }
        let allEntries = entries.compactMap { $0 }
        let expected = allEntries.reduce(Plan.Count(known: 0)) { $0 + $1.width }
        let worstCase = allEntries.reduce(Plan.Count(known: 0)) { $0 + $1.width * $1.attempts }
        let peak = levels.reduce(Optional(0)) { peak, level in
            guard let peak, let parallelism = level.parallelism else { return nil }
            return max(peak, parallelism)
        }
        let timeKnown = allEntries.contains { $0.estimateSeconds != nil }
        return Plan(
            name: workflow.name, file: workflow.file, levels: levels,
            criticalPathByTime: timeKnown ? path(byTime) : path(byCount),
            criticalPathByRequests: path(byCount),
            requests: Plan.Requests(expected: expected, worstCase: worstCase),
            limits: limits(), peakParallelism: peak)
    }

    private func level(index: Int, members: [Int]) -> Plan.Level {
        let steps = members.compactMap { entries[$0] }
        return Plan.Level(
            index: index, steps: steps, width: steps.reduce(Plan.Count(known: 0)) { $0 + $1.width },
            parallelism: parallelism(of: members))
    }

    /// The requests of `members` that can be in flight at once: each map capped by its own
    /// limit, each block by its, each provider by its, and the whole by the run's. The
    /// block and provider caps cut across each other, so the smaller of the two sums is
    /// the bound.
    private func parallelism(of members: [Int]) -> Int? {
        // Only the members and the blocks around them matter. Nodes are in pre-order, so
        // going by falling index sums every child before its block.
        var involved: Set<Int> = []
        for member in members {
            var current: Int? = member
            while let index = current, involved.insert(index).inserted { current = parentIndex(of: index) }
        }
        var sums: [Int: Bound] = [:]
        var blockBound = Bound(0)
        for index in involved.sorted(by: >) {
            let node = graph.nodes[index]
            let value = node.isLeaf ? own(index) : (sums[index] ?? Bound(0)).capped(at: node.policy?.maxConcurrency)
            if let parent = parentIndex(of: index) {
                sums[parent] = (sums[parent] ?? Bound(0)) + value
            } else {
                blockBound = blockBound + value
            }
        }
        var perProvider: [String: Bound] = [:]
        for index in members {
            guard let provider = entries[index]?.provider else { continue }
            perProvider[provider] = (perProvider[provider] ?? Bound(0)) + own(index)
        }
        let providerBound = perProvider.reduce(Bound(0)) { total, pair in
            total + pair.value.capped(at: workflow.provider(named: pair.key)?.maxConcurrency)
        }
        return blockBound.capped(at: providerBound.limit).capped(at: workflow.maxConcurrency).limit
    }

    /// A leaf's own requests at once: its width, under a map's `max_concurrency`.
    private func own(_ index: Int) -> Bound {
        guard let entry = entries[index] else { return Bound(0) }
        return Bound(entry.width.isExact ? entry.width.known : nil).capped(
            at: graph.nodes[index].policy?.maxConcurrency)
    }

    private func parentIndex(of index: Int) -> Int? {
        graph.nodes[index].parent.flatMap { graph.indexByID[$0] }
    }

    /// How many requests a leaf sends one after another: a map of known width with a
    /// `max_concurrency` runs in waves, and a map with no items sends none.
    private func waves(of index: Int) -> Int {
        guard let entry = entries[index], entry.kind != .reduce else { return 0 }
        guard entry.kind == .map, entry.width.isExact else { return 1 }
        guard let cap = graph.nodes[index].policy?.maxConcurrency, cap > 0 else { return min(1, entry.width.known) }
        return (entry.width.known + cap - 1) / cap
    }

    private func path<Weight>(_ paths: LongestPaths<Weight>) -> Plan.Path {
        let end = graph.nodes.indices
            .filter { entries[$0] != nil }
            .max { paths.distance[VertexGraph.settle($0)] < paths.distance[VertexGraph.settle($1)] }
        let spans = end.map { paths.spans(endingAt: VertexGraph.settle($0)) } ?? []
        let steps = spans.compactMap { entries[$0] }
        let known = steps.compactMap { entry in
            entry.estimateSeconds.map { ($0, entry.id) }
        }
        return Plan.Path(
            steps: steps.map(\.id),
            requests: spans.reduce(0) { $0 + waves(of: $1) },
            seconds: known.isEmpty
                ? nil
                : spans.reduce(0) { total, index in
                    total + (entries[index]?.estimateSeconds ?? 0) * Double(waves(of: index))
                },
            boundedByTimeout: steps.filter { $0.estimateBasis == .timeout }.map(\.id),
            unknown: steps.filter { $0.estimateBasis == .unknown }.map(\.id))
    }

    private func limits() -> Plan.Limits {
        let used = Set(entries.compactMap { $0?.provider })
        var providers = workflow.providers.filter { used.contains($0.name) }.map {
            Plan.ProviderLimit(
                name: $0.name, kind: $0.kind.rawValue, maxConcurrency: $0.maxConcurrency,
                requestsPerMinute: $0.requestsPerMinute, tokensPerMinute: $0.tokensPerMinute)
        }
        for name in used.sorted() where workflow.provider(named: name) == nil {
            providers.append(Plan.ProviderLimit(name: name, kind: ProviderSpec.Kind.mock.rawValue))
        }
        let blocks = graph.nodes.compactMap { node -> Plan.BlockLimit? in
            guard let policy = node.policy else { return nil }
            return Plan.BlockLimit(
                id: node.id, minSuccess: policy.minSuccess.description, stragglers: policy.stragglers.rawValue,
                maxConcurrency: policy.maxConcurrency, timeoutSeconds: policy.timeout.map(\.inSeconds))
        }
        return Plan.Limits(
            maxConcurrency: workflow.maxConcurrency, timeoutSeconds: workflow.timeout.map(\.inSeconds),
            providers: providers, blocks: blocks)
    }

    private static func entry(
        for node: WorkflowGraph.Node, step: StepSpec, workflow: Workflow, mapWidths: [String: Int]
    ) -> Plan.Entry {
        let kind: Plan.Entry.Kind
        var width = Plan.Count(known: 1)
        switch node.kind {
        case .map:
            kind = .map
            if let known = mapWidths[node.id] ?? node.mapSource?.value.literalCount {
                width = Plan.Count(known: known)
            } else {
                width = Plan.Count(known: 0, dynamicMaps: [node.id])
            }
        case .repeatBranch:
            kind = .repeatBranch
        default:
            kind = .step
        }
        let settings = StepSettings(step: step, workflow: workflow)
        let providerName = settings.providerName
        let provider = workflow.provider(named: providerName)
        // Only a timeout the file states is an estimate worth printing; the built-in 5m
        // bound would drown the real figures.
        let timeout = step.timeout ?? workflow.defaults.timeout
        var seconds: Double?
        var basis = Plan.EstimateBasis.unknown
        if provider?.kind ?? .mock == .mock {
            let mock = provider?.mock ?? ProviderSpec.MockSettings()
            seconds = mock.latency.inSeconds + mock.jitter.inSeconds / 2
            basis = .mockLatency
        } else if let timeout {
            seconds = timeout.inSeconds
            basis = .timeout
        }
        return Plan.Entry(
            id: node.id, kind: kind, block: node.parent, provider: providerName, width: width,
            attempts: 1 + settings.retries,
            estimateSeconds: seconds, estimateBasis: basis)
    }
}

/// An upper bound on requests in flight; a nil limit is unbounded.
private struct Bound {
    var limit: Int?

    init(_ limit: Int?) {
        self.limit = limit
    }

    static func + (lhs: Bound, rhs: Bound) -> Bound {
        guard let a = lhs.limit, let b = rhs.limit else { return Bound(nil) }
        return Bound(a + b)
    }

    func capped(at cap: Int?) -> Bound {
        guard let cap else { return self }
        return Bound(limit.map { min($0, cap) } ?? cap)
    }
}

extension MapSpec.Source {
    /// The number of items when the file itself lists them.
    var literalCount: Int? {
        if case .items(let items) = self { return items.count }
        return nil
    }
}

extension Duration {
    /// The duration in seconds, for printing and JSON.
    var inSeconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
