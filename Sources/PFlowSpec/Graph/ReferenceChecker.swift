/// Checks that every `{{ steps.X.* }}` reads a node that has settled by the time the
/// step that reads it starts: a step before it in a list, or one it `needs`, directly or
/// through the blocks around it. Anything else would be a race, so it is an error.
struct ReferenceChecker {
    let graph: WorkflowGraph
    let defaults: StepDefaults

    func check() -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        // A set beside the list keeps the order found and makes the duplicate check O(1):
        // a list scan made 20,000 racing references take a minute.
        var reported: Set<Diagnostic> = []
        let readers = self.readers
        let reachability = SettledBefore(graph: graph, targets: readers.flatMap { $0.references.compactMap(\.stepID) })
        for (node, subject, references) in readers {
            for reference in references {
                guard let target = reference.stepID,
                    let diagnostic = check(
                        target, at: reference.location, from: node, subject: subject, reachability: reachability),
                    reported.insert(diagnostic).inserted
                else { continue }
                diagnostics.append(diagnostic)
            }
        }
        return diagnostics
    }

    /// Each leaf that reads other steps, the name to report it by, and what it reads.
    private var readers: [(node: String, subject: String, references: [TemplateReference])] {
        graph.nodes.compactMap { node in
            guard let step = node.step else { return nil }
            // Repeat branches share one step and one set of dependencies: check it once,
            // under the block's name, which is what the file shows.
            let subject: String
            switch node.kind {
            case .repeatBranch(let index):
                guard index == 0, let block = node.parent else { return nil }
                subject = block
            default:
                subject = node.id
            }
            let templates = [step.prompt] + [step.system ?? defaults.system].compactMap { $0 }
            let references = templates.flatMap(\.references).filter { $0.stepID != nil }
            return references.isEmpty ? nil : (node.id, subject, references)
        }
    }

    private func check(
        _ target: String, at location: SourceLocation, from reader: String, subject: String,
        reachability: SettledBefore
    ) -> Diagnostic? {
        guard let targetNode = graph.node(target) else {
            return .unknownStepReference(target, at: location, known: graph.nodes.map(\.id))
        }
        if target == reader || target == subject {
            return .referencesItself(subject, at: location)
        }
        if graph.isAncestor(target, of: reader) {
            return .referencesEnclosingBlock(target, from: subject, at: location)
        }
        if !reachability.settles(target, before: reader) {
            return .referenceNotSettled(target, isBlock: !targetNode.isLeaf, from: subject, at: location)
        }
        return nil
    }
}

extension TemplateReference {
    /// The node a `steps.*` reference reads, nil for inputs and map items.
    var stepID: String? {
        switch target {
        case .stepOutput(let id), .stepJSON(let id, _), .blockOutputs(let id), .blockFailed(let id): id
        case .input, .mapItem: nil
        }
    }
}

/// Answers "has X settled before Y starts" for many references at once: one pass over the
/// vertices in topological order carries, per vertex, the set of referenced nodes that
/// reach it. A search per reference would cost the size of the graph each time, which
/// on a chain of thousands of steps each reading the one before is quadratic.
struct SettledBefore {
    private let graph: WorkflowGraph
    private let bitByNode: [Int: Int]
    private let words: Int
    /// `words` UInt64 per vertex; empty when the graph has a cycle and searches stand in.
    private let reached: [UInt64]

    init(graph: WorkflowGraph, targets: [String]) {
        self.graph = graph
        var bits: [Int: Int] = [:]
        for target in targets {
            if let index = graph.indexByID[target], bits[index] == nil { bits[index] = bits.count }
        }
        bitByNode = bits
        words = (bits.count + 63) / 64
        guard !graph.vertexOrder.isEmpty, words > 0 else {
            reached = []
            return
        }
        var reached = [UInt64](repeating: 0, count: graph.vertices.count * words)
        for (node, bit) in bits {
            reached[VertexGraph.settle(node) * words + bit / 64] |= 1 << UInt64(bit % 64)
        }
        for vertex in graph.vertexOrder {
            for arc in graph.vertices.outgoing[vertex] {
                for word in 0..<words {
                    reached[arc.target * words + word] |= reached[vertex * words + word]
                }
            }
        }
        self.reached = reached
    }

    func settles(_ earlier: String, before later: String) -> Bool {
        guard !reached.isEmpty, let from = graph.indexByID[earlier], let bit = bitByNode[from],
            let to = graph.indexByID[later]
        else { return graph.settles(earlier, before: later) }
        return reached[VertexGraph.start(to) * words + bit / 64] & (1 << UInt64(bit % 64)) != 0
    }
}
