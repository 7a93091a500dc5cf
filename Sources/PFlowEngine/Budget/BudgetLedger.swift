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
/// reported. An attempt that does not fit is refused, and the budget that refused it
/// records that it stopped work.
final class BudgetLedger: Sendable {
    private struct Account {
        var owner: String
        var maxCost: Double?
        var maxTokens: Int?
        var reserved = BudgetCharge.zero
        var spent = BudgetCharge.zero
        var refused = 0

        func fits(_ charge: BudgetCharge) -> Bool {
            let cost = spent.cost + reserved.cost + charge.cost
            let tokens = spent.tokens + reserved.tokens + charge.tokens
            // A millionth of a dollar is run.json's resolution: sums of rounded prices
            // must not refuse an attempt that fits exactly.
            return (maxCost.map { cost <= $0 + 0.000_000_5 } ?? true) && (maxTokens.map { tokens <= $0 } ?? true)
        }
    }

    /// Why an attempt was not sent: the innermost budget it did not fit in.
    struct Refusal: Error, Sendable {
        var message: String
    }

    /// A reservation held by one attempt in flight.
    struct Reservation: Sendable {
        fileprivate let accounts: [BudgetAccount]
        fileprivate let charge: BudgetCharge
    }

    private let accounts = Mutex<[Account]>([])

    /// Opens a budget. `spent` is what an earlier session of the run already spent.
    func open(_ owner: String, maxCost: Double?, maxTokens: Int?, spent: BudgetCharge = .zero) -> BudgetAccount {
        accounts.withLock { accounts in
            accounts.append(Account(owner: owner, maxCost: maxCost, maxTokens: maxTokens, spent: spent))
            return BudgetAccount(index: accounts.count - 1)
        }
    }

    /// Reserves `charge` in every one of `budgets` (innermost first), or in none.
    func reserve(_ charge: BudgetCharge, in budgets: [BudgetAccount]) -> Result<Reservation, Refusal> {
        accounts.withLock { accounts in
            if let full = budgets.first(where: { !accounts[$0.index].fits(charge) }) {
                accounts[full.index].refused += 1
                return .failure(Refusal(message: Self.refusal(of: charge, by: accounts[full.index])))
            }
            for budget in budgets { accounts[budget.index].reserved = accounts[budget.index].reserved + charge }
            return .success(Reservation(accounts: budgets, charge: charge))
        }
    }

    /// Replaces a reservation with what the attempt really cost.
    func settle(_ reservation: Reservation, spent: BudgetCharge) {
        accounts.withLock { accounts in
            for budget in reservation.accounts {
                accounts[budget.index].reserved = accounts[budget.index].reserved - reservation.charge
                accounts[budget.index].spent = accounts[budget.index].spent + spent
            }
        }
    }

    /// What run.json records: the run's budget, and whether any budget refused an attempt.
    func state(of run: BudgetAccount) -> RunManifest.BudgetState {
        accounts.withLock { accounts in
            let account = accounts[run.index]
            let refused = accounts.reduce(0) { $0 + $1.refused }
            return RunManifest.BudgetState(
                maxCost: account.maxCost, maxTokens: account.maxTokens,
                reservedCost: Self.micros(account.reserved.cost), reservedTokens: account.reserved.tokens,
                spentCost: Self.micros(account.spent.cost), spentTokens: account.spent.tokens,
                refusedAttempts: refused, exceeded: refused > 0)
        }
    }

    private static func micros(_ dollars: Double) -> Double { (dollars * 1_000_000).rounded() / 1_000_000 }

    private static func refusal(of charge: BudgetCharge, by account: Account) -> String {
        var caps: [String] = []
        if let maxCost = account.maxCost {
            caps.append(
                "max_cost $\(dollars(maxCost)) with $\(dollars(account.spent.cost)) spent and "
                    + "$\(dollars(account.reserved.cost)) reserved")
        }
        if let maxTokens = account.maxTokens {
            caps.append(
                "max_tokens \(maxTokens) with \(account.spent.tokens) spent and \(account.reserved.tokens) reserved")
        }
        return "not sent: its worst case ($\(dollars(charge.cost)), \(charge.tokens) tokens) does not fit in the "
            + "budget of \(account.owner) (\(caps.joined(separator: "; ")))"
    }

    static func dollars(_ value: Double) -> String {
        var text = String(Self.micros(value))
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }
}

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
}
