import Testing

@testable import PFlowEngine

/// The ledger's admission rule on its own: reserve when it fits, wait when only others'
/// reservations are in the way, refuse when it cannot fit beside what is spent.
@Suite struct BudgetLedgerTests {
    static let charge = BudgetCharge(cost: 0, tokens: 100)

    static func reserved(_ result: Result<BudgetLedger.Reservation, BudgetLedger.Refusal>) throws
        -> BudgetLedger.Reservation
    {
        try result.get()
    }

    /// A budget of 150 tokens with a first attempt of 100 in flight and a second waiting
    /// for it to settle.
    static func secondWaiting() async throws -> (
        ledger: BudgetLedger, run: BudgetAccount, first: BudgetLedger.Reservation,
        second: Task<Result<BudgetLedger.Reservation, BudgetLedger.Refusal>, any Error>
    ) {
        let ledger = BudgetLedger()
        let run = ledger.openRun(maxCost: nil, maxTokens: 150)
        let first = try reserved(try await ledger.reserve(charge, in: [run]))
        let second = Task { try await ledger.reserve(charge, in: [run]) }
        while ledger.waitingCount == 0 { await Task.yield() }
        return (ledger, run, first, second)
    }

    @Test func aWaitingAttemptTakesWhatASettlementFrees() async throws {
        let (ledger, run, first, second) = try await Self.secondWaiting()
        ledger.settle(first, spent: BudgetCharge(cost: 0, tokens: 20))
        _ = try Self.reserved(try await second.value)
        #expect(ledger.state(of: run).reservedTokens == 100 && ledger.state(of: run).spentTokens == 20)
    }

    @Test func aWaitingAttemptIsRefusedWhenTheSettlementLeavesNoRoom() async throws {
        let (ledger, run, first, second) = try await Self.secondWaiting()
        ledger.settle(first, spent: .zero, unsettled: Self.charge)
        guard case .failure(let refusal) = try await second.value else {
            Issue.record("the second attempt was admitted")
            return
        }
        #expect(
            refusal.message
                == "not sent: its worst case ($0, 100 tokens) does not fit in the budget of the run "
                + "(max_tokens 150 with 0 spent and 100 unsettled)")
        #expect(ledger.state(of: run).refusedAttempts == 1)
    }

    @Test func aWaitingAttemptLeavesWhenCancelledHoldingNothing() async throws {
        let (ledger, run, first, second) = try await Self.secondWaiting()
        second.cancel()
        await #expect(throws: CancellationError.self) { try await second.value }
        #expect(ledger.waitingCount == 0)
        ledger.settle(first, spent: .zero)
        #expect(ledger.state(of: run).reservedTokens == 0 && ledger.state(of: run).refusedAttempts == 0)
    }

    @Test func anAttemptTooBigForWhatIsLeftIsRefusedWithoutWaiting() async throws {
        let ledger = BudgetLedger()
        let run = ledger.openRun(maxCost: nil, maxTokens: 150, spent: BudgetCharge(cost: 0, tokens: 60))
        let held = try Self.reserved(try await ledger.reserve(BudgetCharge(cost: 0, tokens: 10), in: [run]))
        guard case .failure = try await ledger.reserve(Self.charge, in: [run]) else {
            Issue.record("admitted past the cap")
            return
        }
        #expect(ledger.waitingCount == 0)
        ledger.settle(held, spent: .zero)
    }

    /// A block's earlier spend, carried from run.json, counts against its cap at once.
    @Test func aBlockOpensWithItsCarriedSpend() async throws {
        let earlier = RunManifest.BlockBudget(
            maxCost: nil, maxTokens: 150, spentCost: 0, spentTokens: 100,
            unsettled: RunManifest.SpendFigure(cost: 0, tokens: 0))
        let ledger = BudgetLedger(carried: ["fan": earlier, "other": earlier])
        let run = ledger.openRun(maxCost: nil, maxTokens: nil)
        let block = ledger.openBlock("fan", maxCost: nil, maxTokens: 150)
        guard case .failure = try await ledger.reserve(Self.charge, in: [block, run]) else {
            Issue.record("the block's earlier spend was forgotten")
            return
        }
        let blocks = try #require(ledger.state(of: run).blocks)
        #expect(blocks["fan"]?.spentTokens == 100 && blocks["other"] == earlier)
    }
}
