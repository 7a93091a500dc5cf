import PFlowSpec

/// Which answers stay in memory once their step has settled: those a template or
/// result.md can read.
///
/// Every answer is on disk (steps/<id>.md) the moment its step succeeds; memory only
/// serves `{{ steps.X.output }}`, `{{ steps.X.outputs }}` and result.md. Keeping every
/// answer made a run's memory grow with a map's width times the answers' length: at
/// 100,000 branches of the mock's short answers, 46 MB of a 193 MB heap, and real
/// answers are several times longer.
struct KeptAnswers: Sendable {
    private var steps: Set<String> = []
    /// Maps and repeats whose branches' answers are kept.
    private var branchesOf: Set<String> = []

    /// `output`: the step whose answer becomes result.md.
    init(workflow: Workflow, output: String?) {
        var templates: [Template] = workflow.defaults.system.map { [$0] } ?? []
        Self.collectTemplates(workflow.steps, into: &templates)
        var read = Set(output.map { [$0] } ?? [])
        // A reducer reads every branch of its block.
        workflow.steps.walk { node in
            if case .reduce(let reduce) = node { read.insert(reduce.over.value) }
        }
        for reference in templates.flatMap(\.references) {
            switch reference.target {
            case .stepOutput(let id), .stepJSON(let id, _), .blockOutputs(let id): read.insert(id)
            case .blockFailed, .input, .mapItem: break
            }
        }
        mark(workflow.steps, read: read, inherited: false)
    }

    /// Whether `id`'s answer is kept: a step that is read, one inside a block or lane
    /// that is read, or a branch `<block>.<index>` of a map or repeat that is read.
    func keeps(_ id: String) -> Bool {
        if steps.contains(id) { return true }
        guard let dot = id.lastIndex(of: "."), id.index(after: dot) < id.endIndex,
            id[id.index(after: dot)...].allSatisfy({ $0.isASCII && $0.isNumber })
        else { return false }
        return branchesOf.contains(String(id[..<dot]))
    }

    private static func collectTemplates(_ nodes: [StepNode], into templates: inout [Template]) {
        nodes.walk { node in
            if let step = node.requestStep { templates += [step.prompt] + [step.system].compactMap { $0 } }
        }
    }

    /// A block's or lane's text is made of what is inside it, so reading it keeps all of it.
    private mutating func mark(_ nodes: [StepNode], read: Set<String>, inherited: Bool) {
        nodes.walk(from: inherited) { node, inherited in
            let kept = inherited || read.contains(node.id)
            switch node {
            case .step, .reduce: if kept { steps.insert(node.id) }
            case .sequence: break
            case .parallel(let block):
                if case .repeat = block.branches, kept || Self.readsABranch(of: block.id, read) {
                    branchesOf.insert(block.id)
                }
            case .map(let map): if kept || Self.readsABranch(of: map.id, read) { branchesOf.insert(map.id) }
            }
            return kept
        }
    }

    private static func readsABranch(of block: String, _ read: Set<String>) -> Bool {
        read.contains { $0.hasPrefix(block + ".") }
    }
}
