import PFlowSpec
import Synchronization

/// Dollars and tokens together: what an attempt may cost, or did.
struct BudgetCharge: Sendable, Hashable {
    var cost: Double
    var tokens: Int

    static let zero = BudgetCharge(cost: 0, tokens: 0)
}

/// One budget of the run (the run's own, or a block's), by its place in the ledger.
struct BudgetAccount: Sendable, Hashable {
    fileprivate let index: Int
}

/// The run's budgets and what is reserved and spent against each.
///
/// An attempt reserves its worst case in every budget around it at once, under one lock,
/// before it is sent; that is what keeps concurrent attempts from overrunning a budget
/// together. When the answer arrives the reservation is replaced by what the server
/// reported; an attempt sent but never answered (timed out, cancelled) keeps its whole
/// reservation as unsettled spend, since the server may bill it anyway. An attempt that
/// would fit but for what others have reserved waits for them to settle; one that cannot
/// fit even with nothing else in flight is refused, and the budget that refused it
/// records that it stopped work.
final class BudgetLedger: Sendable {
    private struct Account {
        var owner: String
        /// The block's id; nil for the run's own budget.
        var blockID: String?
        var maxCost: Double?
        var maxTokens: Int?
        var reserved = BudgetCharge.zero
        var spent = BudgetCharge.zero
        var unsettled = BudgetCharge.zero
        var refused = 0

        /// Whether `charge` fits on top of `held` and what is spent (settled or not).
        func fits(_ charge: BudgetCharge, besides held: BudgetCharge) -> Bool {
            let total = spent + unsettled + held + charge
            // A millionth of a dollar is run.json's resolution: sums of rounded prices
            // must not refuse an attempt that fits exactly.
            return (maxCost.map { total.cost <= $0 + 0.000_000_5 } ?? true)
                && (maxTokens.map { total.tokens <= $0 } ?? true)
        }

        var recorded: RunManifest.BlockBudget {
            RunManifest.BlockBudget(
                maxCost: maxCost, maxTokens: maxTokens, spentCost: micros(spent.cost), spentTokens: spent.tokens,
                unsettled: RunManifest.SpendFigure(unsettled))
        }
    }

    private enum Admission {
        case reserved(Reservation)
        case refused(Refusal)
        /// Something in flight holds what the attempt needs: try again after `settlements`.
        case wait(settlements: UInt64)
    }

    private struct State {
        var accounts: [Account] = []
        /// Counts settlements, so that a waiter notices one that came before it queued.
        var settlements: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
    }

    /// Why an attempt was not sent: the innermost budget it did not fit in.
    struct Refusal: Error, Sendable {
        var message: String
    }

    /// A reservation held by one attempt in flight.
    struct Reservation: Sendable {
        fileprivate let accounts: [BudgetAccount]
        let charge: BudgetCharge
    }

    private let state = Mutex(State())
    /// What earlier sessions of the run spent in each block's budget, by block id.
    private let carried: [String: RunManifest.BlockBudget]

    init(carried: [String: RunManifest.BlockBudget] = [:]) {
        self.carried = carried
    }

    /// Opens the run's budget. `spent` and `unsettled` are what earlier sessions left.
    func openRun(maxCost: Double?, maxTokens: Int?, spent: BudgetCharge = .zero, unsettled: BudgetCharge = .zero)
        -> BudgetAccount
    {
        open(Account(owner: "the run", maxCost: maxCost, maxTokens: maxTokens, spent: spent, unsettled: unsettled))
    }

    /// Opens block `id`'s budget, carrying what earlier sessions of the run spent in it.
    func openBlock(_ id: String, maxCost: Double?, maxTokens: Int?) -> BudgetAccount {
        let earlier = carried[id]
        return open(
            Account(
                owner: "block '\(id)'", blockID: id, maxCost: maxCost, maxTokens: maxTokens,
                spent: BudgetCharge(cost: earlier?.spentCost ?? 0, tokens: earlier?.spentTokens ?? 0),
                unsettled: earlier?.unsettled.map(BudgetCharge.init) ?? .zero))
    }

    private func open(_ account: Account) -> BudgetAccount {
        state.withLock { s in
            s.accounts.append(account)
            return BudgetAccount(index: s.accounts.count - 1)
        }
    }

    /// Reserves `charge` in every one of `budgets` (innermost first), or in none. Waits
    /// while it does not fit only because of other attempts' reservations; refuses when it
    /// does not fit beside what is spent alone. Throws `CancellationError` when cancelled
    /// while waiting, holding nothing.
    func reserve(_ charge: BudgetCharge, in budgets: [BudgetAccount]) async throws -> Result<Reservation, Refusal> {
        while true {
            switch admit(charge, in: budgets) {
            case .reserved(let reservation): return .success(reservation)
            case .refused(let refusal): return .failure(refusal)
            case .wait(let seen): try await settlement(after: seen)
            }
        }
    }

    private func admit(_ charge: BudgetCharge, in budgets: [BudgetAccount]) -> Admission {
        state.withLock { s in
            if let full = budgets.first(where: { !s.accounts[$0.index].fits(charge, besides: .zero) }) {
                s.accounts[full.index].refused += 1
                return .refused(Refusal(message: Self.refusal(of: charge, by: s.accounts[full.index])))
            }
            if budgets.contains(where: { !s.accounts[$0.index].fits(charge, besides: s.accounts[$0.index].reserved) }) {
                return .wait(settlements: s.settlements)
            }
            for budget in budgets { s.accounts[budget.index].reserved = s.accounts[budget.index].reserved + charge }
            return .reserved(Reservation(accounts: budgets, charge: charge))
        }
    }

    /// Returns once a settlement after the `seen`-th has happened.
    private func settlement(after seen: UInt64) async throws {
        let ticket = state.withLock { s in
            defer { s.nextWaiter += 1 }
            return s.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let ready = state.withLock { s -> Result<Void, any Error>? in
                    // The cancellation handler may have run before the waiter was stored.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if s.settlements != seen { return .success(()) }
                    s.waiters[ticket] = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: ticket) }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Replaces a reservation with what the attempt cost: `spent` as the server reported
    /// it, `unsettled` for an attempt sent but never answered. Wakes every waiting attempt.
    func settle(_ reservation: Reservation, spent: BudgetCharge, unsettled: BudgetCharge = .zero) {
        let waiters = state.withLock { s in
            for budget in reservation.accounts {
                s.accounts[budget.index].reserved = s.accounts[budget.index].reserved - reservation.charge
                s.accounts[budget.index].spent = s.accounts[budget.index].spent + spent
                s.accounts[budget.index].unsettled = s.accounts[budget.index].unsettled + unsettled
            }
            s.settlements += 1
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Attempts waiting for others to settle, for tests.
    var waitingCount: Int { state.withLock { $0.waiters.count } }

    /// What run.json records: the run's budget, each block's, and whether any budget
    /// refused an attempt.
    func state(of run: BudgetAccount) -> RunManifest.BudgetState {
        state.withLock { s in
            let account = s.accounts[run.index]
            let refused = s.accounts.reduce(0) { $0 + $1.refused }
            var blocks = carried
            for block in s.accounts { if let id = block.blockID { blocks[id] = block.recorded } }
            return RunManifest.BudgetState(
                maxCost: account.maxCost, maxTokens: account.maxTokens,
                reservedCost: micros(account.reserved.cost), reservedTokens: account.reserved.tokens,
                spentCost: micros(account.spent.cost), spentTokens: account.spent.tokens,
                unsettled: RunManifest.SpendFigure(account.unsettled), refusedAttempts: refused,
                exceeded: refused > 0, blocks: blocks.isEmpty ? nil : blocks)
        }
    }

    private static func refusal(of charge: BudgetCharge, by account: Account) -> String {
        var caps: [String] = []
        let unsettled = account.unsettled == .zero
        if let maxCost = account.maxCost {
            caps.append(
                "max_cost $\(dollars(maxCost)) with $\(dollars(account.spent.cost)) spent"
                    + (unsettled ? "" : " and $\(dollars(account.unsettled.cost)) unsettled"))
        }
        if let maxTokens = account.maxTokens {
            caps.append(
                "max_tokens \(maxTokens) with \(account.spent.tokens) spent"
                    + (unsettled ? "" : " and \(account.unsettled.tokens) unsettled"))
        }
        return "not sent: its worst case ($\(dollars(charge.cost)), \(charge.tokens) tokens) does not fit in the "
            + "budget of \(account.owner) (\(caps.joined(separator: "; ")))"
    }

    static func dollars(_ value: Double) -> String {
        var text = String(micros(value))
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }
}

/// Dollars rounded to the millionth, run.json's resolution.
private func micros(_ dollars: Double) -> Double { (dollars * 1_000_000).rounded() / 1_000_000 }

extension BudgetCharge {
    static func + (a: BudgetCharge, b: BudgetCharge) -> BudgetCharge {
        BudgetCharge(cost: a.cost + b.cost, tokens: a.tokens + b.tokens)
    }

    static func - (a: BudgetCharge, b: BudgetCharge) -> BudgetCharge {
        BudgetCharge(cost: a.cost - b.cost, tokens: a.tokens - b.tokens)
    }

    /// What `usage` cost at `price`.
    init(_ usage: TokenUsage, price: ProviderSpec.Price?) {
        self.init(cost: usage.dollars(at: price), tokens: usage.total)
    }

    init(_ figure: RunManifest.SpendFigure) {
        self.init(cost: figure.cost, tokens: figure.tokens)
    }
}

extension RunManifest.SpendFigure {
    init(_ charge: BudgetCharge) {
        self.init(cost: micros(charge.cost), tokens: charge.tokens)
    }
}
