import PFlowSpec

extension BudgetCharge {
    /// An attempt's worst case: its estimated input (see `Budget.estimatedInputTokens`)
    /// and every output token it may spend (`max_tokens`), priced.
    /// A repair's earlier turns count as input too.
    init(worstCaseOf request: CompletionRequest, price: ProviderSpec.Price?) {
        let system = request.system?.utf8.count
        let turns = request.turns.reduce(0) { $0 + $1.text.utf8.count }
        let input = Budget.estimatedInputTokens(
            utf8Bytes: request.prompt.utf8.count + (system ?? 0) + turns,
            messages: 1 + (system == nil ? 0 : 1) + request.turns.count)
        self.init(TokenUsage(inputTokens: input, outputTokens: request.maxTokens), price: price)
    }
}
