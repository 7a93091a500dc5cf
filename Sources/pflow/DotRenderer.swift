import PFlowSpec

/// The graph in Graphviz DOT: blocks as clusters, `needs` dashed. An arrow into or out of
/// a block is drawn to its first or from its last step and clipped at the cluster
/// (`compound=true` with `lhead`/`ltail`), since DOT has no edges between clusters.
struct DotRenderer {
    let graph: WorkflowGraph
    let plan: Plan
    let name: String

    func render() -> String {
        var out = "digraph \(quoted(name)) {\n"
        out += "  rankdir=TB;\n  compound=true;\n  node [shape=box, style=rounded];\n"
        var clusters: [String: String] = [:]
        func emit(_ id: String, depth: Int) {
            guard let node = graph.node(id) else { return }
            let indent = String(repeating: "  ", count: depth)
            let label = quoted(DiagramLabel.text(for: node, in: graph, plan: plan))
            if node.isLeaf {
                out += "\(indent)\(quoted(id)) [label=\(label)\(node.kind == .map ? ", shape=box3d" : "")];\n"
                return
            }
            let cluster = "cluster_\(clusters.count)"
            clusters[id] = cluster
            out += "\(indent)subgraph \(cluster) {\n\(indent)  label=\(label);\n"
            if leaves(of: id).isEmpty {
                out += "\(indent)  \(quoted(anchor(of: id))) [shape=point, style=invis];\n"
            }
            for child in node.children { emit(child, depth: depth + 1) }
            out += "\(indent)}\n"
        }
        for root in graph.roots { emit(root, depth: 1) }
        for edge in graph.edges {
            var attributes: [String] = []
            let tail = leaves(of: edge.from).last ?? anchor(of: edge.from)
            let head = leaves(of: edge.to).first ?? anchor(of: edge.to)
            if let cluster = clusters[edge.from] { attributes.append("ltail=\(cluster)") }
            if let cluster = clusters[edge.to] { attributes.append("lhead=\(cluster)") }
            if edge.reason == .needs { attributes += ["style=dashed", "label=\"needs\""] }
            let list = attributes.isEmpty ? "" : " [\(attributes.joined(separator: ", "))]"
            out += "  \(quoted(tail)) -> \(quoted(head))\(list);\n"
        }
        return out + "}\n"
    }

    /// The leaves inside a node, in declaration order; the node itself for a leaf.
    private func leaves(of id: String) -> [String] {
        guard let node = graph.node(id) else { return [] }
        return node.isLeaf ? [id] : node.children.flatMap { leaves(of: $0) }
    }

    /// An invisible stand-in so that an empty block can still be the end of an arrow.
    private func anchor(of id: String) -> String { "\(id) (empty)" }

    /// DOT's quoted ID: any text, with `"` and `\` escaped and line breaks as `\n`.
    private func quoted(_ text: String) -> String {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }
}
