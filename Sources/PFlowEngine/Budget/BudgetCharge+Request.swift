import PFlowSpec

extension BudgetCharge {
    /// An attempt's worst case: its estimated input (see `Budget.estimatedInputTokens`)
    /// and every output token it may spend (`max_tokens`), priced.
    init(worstCaseOf request: CompletionRequest, price: ProviderSpec.Price?) {
        let system = request.system?.utf8.count
        let input = Budget.estimatedInputTokens(
            utf8Bytes: request.prompt.utf8.count + (system ?? 0), messages: system == nil ? 1 : 2)
        self.init(TokenUsage(inputTokens: input, outputTokens: request.maxTokens), price: price)
    }
}
