/// `budget:` on the workflow and on `parallel` and `map` blocks.
extension WorkflowDecoder {
    static let budgetKeys = ["max_cost", "max_tokens"]

    mutating func budget(_ node: YAMLNode?) -> Budget? {
        guard let node, let f = fields(node, owner: "'budget'", allowed: Self.budgetKeys) else { return nil }
        let budget = Budget(
            maxCost: double(f, "max_cost", in: 0...Double.greatestFiniteMagnitude),
            maxTokens: int(f, "max_tokens", atLeast: 1), location: location(node))
        guard budget.maxCost != nil || budget.maxTokens != nil else {
            if f["max_cost"] == nil && f["max_tokens"] == nil {
                report(.error("'budget' needs 'max_cost', 'max_tokens' or both", at: location(node)))
            }
            return nil
        }
        return budget
    }
}
