extension WorkflowGraph {
    /// Builds the graph and checks what only the graph can tell: `needs` that point at
    /// the wrong place, cycles, and references to steps not guaranteed to have finished.
    /// The graph is nil when there is any error.
    public static func build(_ workflow: Workflow) -> (graph: WorkflowGraph?, diagnostics: [Diagnostic]) {
        var builder = GraphBuilder(workflow: workflow)
        return builder.build()
    }
}

/// Flattens the step tree into nodes, then adds declared edges and the vertex arcs.
private struct GraphBuilder {
    let workflow: Workflow
    var nodes: [WorkflowGraph.Node] = []
    var edges: [WorkflowGraph.Edge] = []
    var indexByID: [String: Int] = [:]
    var diagnostics: [Diagnostic] = []
    /// `needs` entries, resolved once every id is known.
    var needs: [(node: String, target: Located<String>)] = []

    init(workflow: Workflow) {
        self.workflow = workflow
    }

    mutating func build() -> (graph: WorkflowGraph?, diagnostics: [Diagnostic]) {
        let roots = addList(workflow.steps, parent: nil, ordered: true)
        resolveNeeds()
        guard !diagnostics.hasErrors else { return (nil, diagnostics) }

        let vertices = makeVertexGraph()
        guard let order = vertices.topologicalOrder() else {
            let cyclic = WorkflowGraph(
                nodes: nodes, edges: edges, roots: roots, indexByID: indexByID,
                vertices: vertices, vertexOrder: [])
            diagnostics += CycleFinder(graph: cyclic).cycles()
            // Reachability still holds outside the cycle: what is not reachable is a race
            // whatever the cycle's fix turns out to be.
            diagnostics += ReferenceChecker(graph: cyclic, defaults: workflow.defaults).check()
            return (nil, diagnostics)
        }
        let graph = WorkflowGraph(
            nodes: nodes, edges: edges, roots: roots, indexByID: indexByID,
            vertices: vertices, vertexOrder: order)
        diagnostics += ReferenceChecker(graph: graph, defaults: workflow.defaults).check()
        return (diagnostics.hasErrors ? nil : graph, diagnostics)
    }

    /// Adds the items of a list and returns their ids; an ordered list chains each item
    /// to the one before it.
    private mutating func addList(_ items: [StepNode], parent: String?, ordered: Bool) -> [String] {
        var ids: [String] = []
        for item in items {
            guard let id = add(item, parent: parent) else { continue }
            if ordered, let previous = ids.last {
                edges.append(.init(from: previous, to: id, reason: .order, location: item.location))
            }
            ids.append(id)
        }
        return ids
    }

    private mutating func add(_ item: StepNode, parent: String?) -> String? {
        let kind: WorkflowGraph.Node.Kind
        var step: StepSpec?
        var policy: BlockPolicy?
        var mapSource: Located<MapSpec.Source>?
        var declaredNeeds = item.needs
        switch item {
        case .step(let spec):
            kind = .step
            step = spec
        case .map(let map):
            kind = .map
            step = map.step
            policy = map.policy
            mapSource = map.source
            declaredNeeds += map.step.needs
        case .parallel(let block):
            kind = .parallel
            policy = block.policy
            if case .repeat(_, let spec) = block.branches { declaredNeeds += spec.needs }
        case .sequence:
            kind = .sequence
        case .reduce:
            kind = .reduce
        }
        guard
            insert(
                .init(
                    id: item.id, kind: kind, parent: parent, children: [], location: item.location,
                    step: step, policy: policy, mapSource: mapSource))
        else { return nil }
        for target in declaredNeeds { needs.append((item.id, target)) }

        let children: [String]
        switch item {
        case .step, .map, .reduce:
            children = []
        case .sequence(let lane):
            children = addList(lane.steps, parent: lane.id, ordered: true)
        case .parallel(let block):
            switch block.branches {
            case .steps(let items):
                children = addList(items, parent: block.id, ordered: false)
            case .repeat(let count, let spec):
                children = (0..<max(0, count)).compactMap { index in
                    var branch = spec
                    branch.id = "\(block.id).\(index)"
                    let node = WorkflowGraph.Node(
                        id: branch.id, kind: .repeatBranch(index: index), parent: block.id,
                        children: [], location: spec.location, step: branch, policy: nil,
                        mapSource: nil)
                    return insert(node) ? branch.id : nil
                }
            }
        }
        if let index = indexByID[item.id] { nodes[index].children = children }
        return item.id
    }

    private mutating func insert(_ node: WorkflowGraph.Node) -> Bool {
        if let existing = indexByID[node.id] {
            diagnostics.append(.duplicateNodeID(node.id, at: node.location, first: nodes[existing].location))
            return false
        }
        indexByID[node.id] = nodes.count
        nodes.append(node)
        return true
    }

    private mutating func resolveNeeds() {
        var seen: Set<[String]> = []
        for (nodeID, target) in needs {
            guard seen.insert([nodeID, target.value]).inserted else { continue }
            guard indexByID[target.value] != nil else {
                diagnostics.append(.unknownNeed(target, of: nodeID, known: nodes.map(\.id)))
                continue
            }
            if target.value == nodeID {
                diagnostics.append(.needsItself(nodeID, at: target.location))
            } else if isAncestor(target.value, of: nodeID) {
                diagnostics.append(.needsEnclosingBlock(target.value, of: nodeID, at: target.location))
            } else if isAncestor(nodeID, of: target.value) {
                diagnostics.append(.needsOwnChild(target.value, of: nodeID, at: target.location))
            } else {
                edges.append(.init(from: target.value, to: nodeID, reason: .needs, location: target.location))
            }
        }
    }

    private func isAncestor(_ ancestor: String, of id: String) -> Bool {
        WorkflowGraph.isAncestor(ancestor, of: id, nodes: nodes, indexByID: indexByID)
    }

    private func makeVertexGraph() -> VertexGraph {
        var vertices = VertexGraph(nodeCount: nodes.count)
        for (index, node) in nodes.enumerated() {
            vertices.add(from: VertexGraph.start(index), to: VertexGraph.settle(index), .span)
            for child in node.children {
                guard let childIndex = indexByID[child] else { continue }
                vertices.add(from: VertexGraph.start(index), to: VertexGraph.start(childIndex), .enter)
                vertices.add(from: VertexGraph.settle(childIndex), to: VertexGraph.settle(index), .settleChild)
            }
        }
        for (edgeIndex, edge) in edges.enumerated() {
            guard let from = indexByID[edge.from], let to = indexByID[edge.to] else { continue }
            vertices.add(from: VertexGraph.settle(from), to: VertexGraph.start(to), .declared(edgeIndex))
        }
        return vertices
    }
}
