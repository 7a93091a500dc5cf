import PFlowSpec

/// Node names a diagram language accepts: letters, digits and `_`, behind a prefix so a
/// step called `end` or `subgraph` cannot be read as a keyword; unique after the rewrite.
struct DiagramIDs {
    private var names: [String: String] = [:]

    init(_ ids: [String]) {
        var taken: Set<String> = []
        for id in ids {
            let base = "n_" + String(id.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
            var name = base
            var suffix = 2
            while taken.contains(name) {
                name = "\(base)_\(suffix)"
                suffix += 1
            }
            taken.insert(name)
            names[id] = name
        }
    }

    subscript(id: String) -> String { names[id] ?? "n_unknown" }
}

/// The words a diagram shows for a node: its id, and for blocks and maps what they do.
enum DiagramLabel {
    static func text(for node: WorkflowGraph.Node, in graph: WorkflowGraph, plan: Plan) -> String {
        switch node.kind {
        case .step, .repeatBranch:
            return node.id
        case .map:
            let width = plan.levels.lazy.flatMap(\.steps).first { $0.id == node.id }?.width.description ?? "dynamic"
            return "\(node.id) · map × \(width)" + policy(node.policy)
        case .sequence:
            return "\(node.id) · sequence"
        case .reduce:
            return "\(node.id) · reduce"
        case .parallel:
            let first = node.children.first.flatMap { graph.node($0) }
            let isRepeat = if case .repeatBranch = first?.kind { true } else { false }
            return "\(node.id) · " + (isRepeat ? "repeat × \(node.children.count)" : "parallel") + policy(node.policy)
        }
    }

    private static func policy(_ policy: BlockPolicy?) -> String {
        guard let policy else { return "" }
        var parts: [String] = []
        if policy.minSuccess != .all { parts.append("min_success \(policy.minSuccess)") }
        if policy.stragglers == .cancel { parts.append("stragglers cancel") }
        if let max = policy.maxConcurrency { parts.append("max \(max) at once") }
        return parts.isEmpty ? "" : " · " + parts.joined(separator: " · ")
    }
}
