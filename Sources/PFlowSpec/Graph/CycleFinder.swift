/// Turns the cycles of a graph into diagnostics a person can follow: one per knot of
/// steps, naming the path and explaining every link of it.
///
/// Structure alone never makes a cycle (list order only points forward), so every cycle
/// holds at least one `needs`; the diagnostic points at the last of them in the file, the
/// one that closed the loop.
struct CycleFinder {
    let graph: WorkflowGraph

    func cycles() -> [Diagnostic] {
        let vertices = graph.vertices
        return vertices.cyclicComponents().compactMap { component in
            let members = Set(component)
            var closing: (from: Int, arc: VertexGraph.Arc, edge: WorkflowGraph.Edge)?
            for vertex in component {
                for arc in vertices.outgoing[vertex] where members.contains(arc.target) {
                    guard case .declared(let index) = arc.link, graph.edges[index].reason == .needs else { continue }
                    let edge = graph.edges[index]
                    if closing.map({ isBefore($0.edge.location, edge.location) }) ?? true {
                        closing = (vertex, arc, edge)
                    }
                }
            }
            guard let closing,
                let path = vertices.shortestPath(from: closing.arc.target, to: closing.from, within: members)
            else { return nil }
            return diagnostic(flow: path + [closing.arc], start: closing.arc.target, closing: closing.edge)
        }
    }

    /// `flow` is the cycle in the direction work flows, starting at `start`; the message
    /// reads it the other way, as "waits for", starting at the step whose `needs` closed it.
    private func diagnostic(flow: [VertexGraph.Arc], start: Int, closing: WorkflowGraph.Edge) -> Diagnostic {
        var links: [(from: Int, to: Int, link: VertexGraph.Link)] = []
        var vertex = start
        for arc in flow {
            let from = VertexGraph.node(of: vertex)
            let to = VertexGraph.node(of: arc.target)
            if from != to { links.append((from, to, arc.link)) }
            vertex = arc.target
        }
        // A detour through a block's children back to the block says nothing the block
        // does not: cut it. The last link is the closing `needs` and always stays.
        var index = 0
        var kept: [(from: Int, to: Int, link: VertexGraph.Link)] = []
        while index < links.count {
            let node = links[index].from
            if let back = links[index..<(links.count - 1)].lastIndex(where: { $0.to == node }) {
                index = back + 1
                continue
            }
            kept.append(links[index])
            index += 1
        }
        let waiting = kept.reversed()
        let first = graph.nodes[VertexGraph.node(of: start)].id
        let path = ([first] + waiting.map { graph.nodes[$0.from].id }).joined(separator: " -> ")
        let notes = waiting.map { explain(waiter: graph.nodes[$0.to].id, awaited: graph.nodes[$0.from].id, $0.link) }
        return .dependencyCycle(path, at: closing.location, notes: notes)
    }

    private func explain(waiter: String, awaited: String, _ link: VertexGraph.Link) -> String {
        switch link {
        case .declared(let index) where graph.edges[index].reason == .needs:
            "'\(waiter)' needs '\(awaited)' (\(graph.edges[index].location))"
        case .declared:
            "'\(waiter)' comes after '\(awaited)' in its list"
        case .enter:
            "'\(waiter)' is inside '\(awaited)', so it waits for what '\(awaited)' waits for"
        case .settleChild:
            "'\(waiter)' settles only once '\(awaited)', inside it, has"
        case .span:
            "'\(waiter)' waits for '\(awaited)'"
        }
    }

    private func isBefore(_ a: SourceLocation, _ b: SourceLocation) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}
