/// The checks on `budget:`: a dollar cap needs a price for every provider it covers,
/// since a cap on an unknown price protects nothing; a token cap needs none.
enum BudgetRules {
    static func diagnostics(for workflow: Workflow) -> [Diagnostic] {
        var found: [Diagnostic] = []
        if let budget = workflow.budget {
            found += unpriced(budget, covering: workflow.steps, in: workflow, owner: "the workflow")
        }
        workflow.steps.walk { node in
            let policy: BlockPolicy
            switch node {
            case .parallel(let block): policy = block.policy
            case .map(let map): policy = map.policy
            case .step, .sequence, .reduce: return
            }
            if let budget = policy.budget {
                found += unpriced(budget, covering: [node], in: workflow, owner: "block '\(node.id)'")
            }
        }
        return found
    }

    private static func unpriced(_ budget: Budget, covering nodes: [StepNode], in workflow: Workflow, owner: String)
        -> [Diagnostic]
    {
        guard budget.maxCost != nil else { return [] }
        let names = workflow.unpricedProviders(in: nodes)
        guard !names.isEmpty else { return [] }
        let list = names.map { "'\($0)'" }.joined(separator: ", ")
        return [
            .error(
                "the 'max_cost' of \(owner) covers provider\(names.count == 1 ? "" : "s") \(list) with no 'price'",
                at: budget.location,
                notes: [
                    "give each provider a 'price: { input_per_mtok, output_per_mtok }', or cap tokens with 'max_tokens'"
                ])
        ]
    }
}

extension Workflow {
    /// The providers some step among `nodes` calls that have no `price`, in order of first use.
    public func unpricedProviders(in nodes: [StepNode]) -> [String] {
        var names: [String] = []
        nodes.walk { node in
            guard let step = node.requestStep else { return }
            let name = StepSettings(step: step, workflow: self).providerName
            if provider(named: name)?.price == nil, !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// Whether the workflow declares a budget anywhere.
    public var hasBudget: Bool {
        if budget != nil { return true }
        var found = false
        steps.walk { node in
            switch node {
            case .parallel(let block): found = found || block.policy.budget != nil
            case .map(let map): found = found || map.policy.budget != nil
            case .step, .sequence, .reduce: break
            }
        }
        return found
    }
}
