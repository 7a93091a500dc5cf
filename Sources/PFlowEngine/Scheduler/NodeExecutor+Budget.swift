import PFlowSpec

extension NodeExecutor {
    /// Reserves an attempt's worst case in every budget around it, waiting while attempts in
    /// flight hold what it needs; `.success(nil)` when the run has no budget. Throws
    /// `CancellationError` when cancelled while waiting.
    func reserveBudget(_ worstCase: BudgetCharge, scope: ExecutionScope) async throws
        -> Result<BudgetLedger.Reservation?, BudgetLedger.Refusal>
    {
        guard let budgets else { return .success(nil) }
        let result = try await budgets.reserve(worstCase, in: scope.budgets)
        if case .failure = result { recordBudget() }
        return result.map { $0 }
    }

    /// Replaces the reservation with the usage the server reported. An attempt sent but
    /// never answered (`unanswered`: timed out or cancelled) reported none, yet the server
    /// may bill it: it keeps its whole reservation, as unsettled spend. One refused or
    /// cancelled before it was sent is charged nothing.
    func settleBudget(
        _ reservation: BudgetLedger.Reservation?, usage: TokenUsage?, price: ProviderSpec.Price?,
        unanswered: Bool = false
    ) {
        guard let budgets, let reservation else { return }
        if let usage {
            budgets.settle(reservation, spent: BudgetCharge(usage, price: price))
        } else {
            budgets.settle(reservation, spent: .zero, unsettled: unanswered ? reservation.charge : .zero)
        }
        recordBudget()
    }

    /// Opens block `id`'s budget, if it has one, carrying what earlier sessions spent in it.
    func openBudget(_ budget: Budget?, block id: String) -> BudgetAccount? {
        guard let budget, let budgets else { return nil }
        return budgets.openBlock(id, maxCost: budget.maxCost, maxTokens: budget.maxTokens)
    }

    /// The run's budget as it stands; nil when the run has none.
    var budgetState: RunManifest.BudgetState? {
        guard let budgets, let runBudget else { return nil }
        return budgets.state(of: runBudget)
    }

    /// run.json's `budget`, brought up to date.
    func recordBudget() {
        guard let state = budgetState else { return }
        journal.updateRun { $0.budget = state }
    }
}
