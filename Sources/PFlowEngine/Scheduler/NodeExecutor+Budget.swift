import PFlowSpec

extension NodeExecutor {
    /// Reserves an attempt's worst case in every budget around it; `.success(nil)` when the
    /// run has no budget.
    func reserveBudget(_ worstCase: BudgetCharge, scope: ExecutionScope)
        -> Result<BudgetLedger.Reservation?, BudgetLedger.Refusal>
    {
        guard let budgets else { return .success(nil) }
        let result = budgets.reserve(worstCase, in: scope.budgets)
        if case .failure = result { recordBudget() }
        return result.map { $0 }
    }

    /// Replaces the reservation with the usage the server reported. An attempt that got no
    /// answer (refused, timed out, cancelled) reported none and is charged nothing.
    func settleBudget(_ reservation: BudgetLedger.Reservation?, usage: TokenUsage?, price: ProviderSpec.Price?) {
        guard let budgets, let reservation else { return }
        budgets.settle(reservation, spent: usage.map { BudgetCharge($0, price: price) } ?? .zero)
        recordBudget()
    }

    /// run.json's `budget`, brought up to date.
    func recordBudget() {
        guard let budgets, let runBudget else { return }
        let state = budgets.state(of: runBudget)
        journal.updateRun { $0.budget = state }
    }
}
