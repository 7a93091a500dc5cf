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
