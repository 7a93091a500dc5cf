import PFlowSpec

/// The graph as a Mermaid `flowchart`: blocks as subgraphs, list order as solid arrows,
/// `needs` as dashed ones labelled "needs". Paste it into any Markdown that renders Mermaid.
struct MermaidRenderer {
    let graph: WorkflowGraph
    let plan: Plan

    func render() -> String {
        let ids = DiagramIDs(graph.nodes.map(\.id))
        var out = "flowchart TD\n"
        func emit(_ id: String, depth: Int) {
            guard let node = graph.node(id) else { return }
            let indent = String(repeating: "  ", count: depth)
            if node.isLeaf {
                let label = quoted(DiagramLabel.text(for: node, in: graph, plan: plan))
                out += node.kind == .map ? "\(indent)\(ids[id])[[\(label)]]\n" : "\(indent)\(ids[id])[\(label)]\n"
                return
            }
            out += "\(indent)subgraph \(ids[id])[\(quoted(DiagramLabel.text(for: node, in: graph, plan: plan)))]\n"
            for child in node.children { emit(child, depth: depth + 1) }
            out += "\(indent)end\n"
        }
        for root in graph.roots { emit(root, depth: 1) }
        for edge in graph.edges {
            switch edge.reason {
            case .order: out += "  \(ids[edge.from]) --> \(ids[edge.to])\n"
            case .needs: out += "  \(ids[edge.from]) -.->|needs| \(ids[edge.to])\n"
            }
        }
        return out
    }

    /// Mermaid reads `"` as the end of a label; its entity keeps the character.
    private func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "#quot;") + "\""
    }
}

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
