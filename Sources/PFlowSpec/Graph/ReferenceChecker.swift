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
        for node in graph.nodes where node.isLeaf {
            guard let step = node.step else { continue }
            // Repeat branches share one step and one set of dependencies: check it once,
            // under the block's name, which is what the file shows.
            let subject: String
            switch node.kind {
            case .repeatBranch(let index):
                guard index == 0, let block = node.parent else { continue }
                subject = block
            default:
                subject = node.id
            }
            let templates = [step.prompt] + [step.system ?? defaults.system].compactMap { $0 }
            for reference in templates.flatMap(\.references) {
                guard let target = reference.stepID,
                    let diagnostic = check(target, at: reference.location, from: node.id, subject: subject),
                    reported.insert(diagnostic).inserted
                else { continue }
                diagnostics.append(diagnostic)
            }
        }
        return diagnostics
    }

    private func check(_ target: String, at location: SourceLocation, from reader: String, subject: String)
        -> Diagnostic?
    {
        guard let targetNode = graph.node(target) else {
            return .unknownStepReference(target, at: location, known: graph.nodes.map(\.id))
        }
        if target == reader || target == subject {
            return .referencesItself(subject, at: location)
        }
        if graph.isAncestor(target, of: reader) {
            return .referencesEnclosingBlock(target, from: subject, at: location)
        }
        if !graph.settles(target, before: reader) {
            return .referenceNotSettled(target, isBlock: !targetNode.isLeaf, from: subject, at: location)
        }
        return nil
    }
}

extension TemplateReference {
    /// The node a `steps.*` reference reads, nil for inputs and map items.
    var stepID: String? {
        switch target {
        case .stepOutput(let id), .blockOutputs(let id), .blockFailed(let id): id
        case .input, .mapItem: nil
        }
    }
}
