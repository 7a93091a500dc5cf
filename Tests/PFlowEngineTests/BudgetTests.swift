import Foundation
import PFlowSpec
import Testing

@testable import PFlowEngine

/// Budgets: reservation before each attempt, refusal as `budget_exceeded`, reconciliation
/// with the reported usage, and no overrun however many attempts are in flight.
@Suite struct BudgetTests {
    /// $1 per million tokens in and out, so a charge in micro-dollars equals its tokens.
    static func priced(_ name: String = "mock") -> ProviderSpec {
        var spec = Build.mock(name)
        spec.price = ProviderSpec.Price(inputPerMTok: 1, outputPerMTok: 1)
        return spec
    }

    /// Each attempt of a "Vote." step reserves 2 + 8 input and 100 output tokens: 110
    /// tokens, $0.00011. The answer reports 10 in and 5 out: 15 tokens.
    static let worstCase = 110
    static let reported = 15

    static func fan(count: Int, minSuccess: SuccessPolicy = .all, budget: Budget? = nil) -> StepNode {
        var policy = BlockPolicy(minSuccess: minSuccess)
        policy.budget = budget
        return .parallel(
            ParallelSpec(
                id: "fan", branches: .repeat(count: count, step: Build.stepSpec("fan", "Vote.")), policy: policy,
                location: Build.here))
    }

    /// An answer that reports its whole worst case (10 in, 100 out): nothing is given back
    /// when it settles.
    static func costly(_ request: CompletionRequest) -> CompletionResponse {
        CompletionResponse(text: "answer from \(request.stepID)", usage: TokenUsage(inputTokens: 10, outputTokens: 100))
    }

    /// A provider that holds every request at `gate`, counting arrivals; answers report
    /// `Self.reported` tokens, or the worst case when `costly`.
    static func held(at gate: Gate, arrived: Locked<Int>, costly: Bool = false) -> ScriptedProvider {
        ScriptedProvider { request throws(ProviderError) in
            arrived.update { $0 += 1 }
            await gate.wait()
            return costly ? Self.costly(request) : ScriptedProvider.answer(request)
        }
    }

    /// Opens `gate` once `count` attempts have reached the provider, so that all of them
    /// are held, their reservations in flight, while the others decide.
    static func open(_ gate: Gate, whenArrived count: Int, arrived: Locked<Int>) -> Task<Void, Error> {
        Task {
            while arrived.value < count { try await Task.sleep(for: .milliseconds(5)) }
            gate.open()
        }
    }

    static func workflow(_ steps: [StepNode], maxCost: Double? = nil, maxTokens: Int? = nil) -> Workflow {
        var workflow = Build.workflow(steps, providers: [priced()], defaults: StepDefaults(maxTokens: 100))
        if maxCost != nil || maxTokens != nil {
            workflow.budget = Budget(maxCost: maxCost, maxTokens: maxTokens, location: Build.here)
        }
        return workflow
    }

    /// The cap of the gated tests: fifteen worst cases.
    static let fifteenWorstCases = Double(15 * worstCase) / 1_000_000

    /// Forty branches at once against `fifteenWorstCases`, the first fifteen to reach the
    /// provider held there until all fifteen have (so every admission is decided while
    /// their reservations are in flight).
    static func fortyAtOnce(costly: Bool, minSuccess: SuccessPolicy = .all) async throws
        -> (summary: RunSummary, run: WorkflowRun, provider: ScriptedProvider, test: TestRun)
    {
        let gate = Gate()
        let arrived = Locked(0)
        let provider = held(at: gate, arrived: arrived, costly: costly)
        let test = TestRun()
        let opener = open(gate, whenArrived: 15, arrived: arrived)
        let (summary, run) = try await test.run(
            workflow([fan(count: 40, minSuccess: minSuccess)], maxCost: fifteenWorstCases),
            providers: ["mock": provider])
        try await opener.value
        return (summary, run, provider, test)
    }

    /// Forty attempts at once, held at a gate, against a budget that affords fifteen worst
    /// cases, each answer reporting its worst case: fifteen reach the server and are held
    /// there; the other 25 wait while those are in flight (beside what is spent they would
    /// fit) and are refused, unsent, once the spend leaves no room. The spend stays under
    /// the cap.
    @Test func concurrentAttemptsNeverOverrunTheBudget() async throws {
        let (summary, run, provider, test) = try await Self.fortyAtOnce(costly: true)
        let cap = Self.fifteenWorstCases

        #expect(provider.requests.count == 15)
        #expect(provider.peakInFlight == 15)
        #expect(summary.status == .failed)
        let manifest = try test.manifest(run)
        let budget = try #require(manifest.budget)
        #expect(budget.exceeded && budget.refusedAttempts == 25)
        #expect(budget.maxCost == cap)
        #expect(budget.spentTokens == 15 * Self.worstCase && budget.reservedTokens == 0)
        #expect(budget.spentCost <= cap)
        let refused = manifest.steps.filter { $0.status == .failed }
        #expect(refused.count == 25)
        #expect(refused.allSatisfy { $0.attempts == 0 })
        let record = try test.record(run, step: try #require(refused.first?.id))
        #expect(record.error?.kind == "budget_exceeded")
        #expect(
            record.error?.message
                == "not sent: its worst case ($0.00011, 110 tokens) does not fit in the budget of the run "
                + "(max_cost $0.00165 with $0.00165 spent)")
        #expect(summary.budget == budget)
    }

    /// The same forty against the same cap, but each answer reports 15 tokens: the 25 that
    /// did not fit beside the fifteen in flight wait for them to settle instead of failing,
    /// and every branch is sent, never more than fifteen at once.
    @Test func anAttemptWaitsForReservationsInFlight() async throws {
        let (summary, run, provider, test) = try await Self.fortyAtOnce(costly: false)

        #expect(summary.status == .succeeded)
        #expect(provider.requests.count == 40)
        #expect(provider.peakInFlight == 15)
        let budget = try #require(try test.manifest(run).budget)
        #expect(!budget.exceeded && budget.refusedAttempts == 0)
        #expect(budget.spentTokens == 40 * Self.reported && budget.reservedTokens == 0)
    }

    /// Sequential attempts reconcile: each worst case is released for the reported usage,
    /// so a cap of five worst cases affords more than five answers.
    @Test func reportedUsageReplacesTheReservation() async throws {
        let test = TestRun()
        let steps = (0..<20).map { Build.step("s\($0)", "Vote.") }
        let cap = Double(Self.worstCase + 4 * Self.reported) / 1_000_000
        let (summary, run) = try await test.run(
            Self.workflow([Build.lane("lane", steps)], maxCost: cap), providers: ["mock": ScriptedProvider.succeeding])
        let budget = try #require(try test.manifest(run).budget)
        // After n answers 15n is spent; the next fits while 15n + 110 <= 170.
        #expect(budget.spentTokens == 5 * Self.reported)
        #expect(budget.exceeded && budget.refusedAttempts == 1)
        #expect(summary.status == .failed)
        #expect(summary.statusCounts[.succeeded] == 5)
    }

    @Test func minSuccessAbsorbsRefusedBranches() async throws {
        let (summary, run, provider, test) = try await Self.fortyAtOnce(costly: true, minSuccess: .count(10))
        #expect(summary.status == .succeeded)
        #expect(provider.requests.count == 15)
        #expect(try test.manifest(run).budget?.exceeded == true)
    }

    /// A block's budget is part of the run's: its branches must fit in both, and what
    /// they spend counts in the run's.
    @Test func aBlockBudgetLimitsItsBranches() async throws {
        let test = TestRun()
        let gate = Gate()
        let arrived = Locked(0)
        let blockCap = Budget(maxTokens: 3 * Self.worstCase, location: Build.here)
        let opener = Self.open(gate, whenArrived: 3, arrived: arrived)
        let (summary, run) = try await test.run(
            Self.workflow([Self.fan(count: 5, minSuccess: .count(3), budget: blockCap)], maxTokens: 100_000),
            providers: ["mock": Self.held(at: gate, arrived: arrived, costly: true)])
        try await opener.value
        #expect(summary.status == .succeeded)
        #expect(arrived.value == 3)
        let manifest = try test.manifest(run)
        let budget = try #require(manifest.budget)
        #expect(budget.maxTokens == 100_000 && budget.spentTokens == 3 * Self.worstCase)
        #expect(budget.exceeded && budget.refusedAttempts == 2)
        #expect(budget.blocks?["fan"]?.spentTokens == 3 * Self.worstCase)
        let refused = try #require(manifest.steps.first { $0.status == .failed })
        #expect(refused.error?.contains("the budget of block 'fan' (max_tokens 330 with 330 spent)") == true)
    }

    /// An attempt that times out got no answer, but the server may still bill it: it is
    /// charged its whole reservation as unsettled spend, which the cap counts. Two branches
    /// against a cap of one and a half worst cases: one is sent and hangs, the other waits
    /// for it, and is refused once the timeout leaves its charge in place.
    /// An attempt that waited for another's reservation to settle records how long (the
    /// report draws it: `ReportHTMLTests`).
    @Test func aBudgetWaitIsRecordedWithTheAttempt() async throws {
        let clock = ManualClock()
        let test = TestRun()
        let slow = ScriptedProvider { request throws(ProviderError) in
            try? await clock.sleep(for: .seconds(3))
            return ScriptedProvider.answer(request)
        }
        let fan = StepNode.parallel(
            ParallelSpec(
                id: "fan", branches: .repeat(count: 2, step: Build.stepSpec("fan", "Vote.", timeout: .seconds(60))),
                policy: BlockPolicy(minSuccess: .all), location: Build.here))
        // One worst case fits at a time; beside the first answer's usage, the second does.
        let cap = Double(Self.worstCase * 3 / 2) / 1_000_000
        let ledger = Locked<BudgetLedger?>(nil)
        let running = Task {
            try await test.run(
                Self.workflow([fan], maxCost: cap), providers: ["mock": slow], clock: clock,
                prepared: { run in ledger.update { $0 = run.executor.budgets } })
        }
        // Time moves once one branch's request is in flight and the other waits for the budget.
        try await clock.sleeping(for: .seconds(3))
        while ledger.value?.waitingCount != 1 { await Task.yield() }
        clock.advance(by: .seconds(3))
        try await clock.pass(.seconds(3))
        let (summary, run) = try await running.value
        #expect(summary.status == .succeeded)
        let waits = try ["fan.0", "fan.1"].map { try test.record(run, step: $0).attempts.first?.budgetWaitSeconds }
        #expect(waits.compactMap { $0 } == [3])
    }

    @Test func aTimedOutAttemptIsChargedItsReservation() async throws {
        let clock = ManualClock()
        let test = TestRun()
        let hanging = ScriptedProvider { _ throws(ProviderError) in try await ScriptedProvider.hang() }
        let step = Build.stepSpec("fan", "Vote.", timeout: .seconds(5), retries: 0)
        let fan = StepNode.parallel(
            ParallelSpec(
                id: "fan", branches: .repeat(count: 2, step: step), policy: BlockPolicy(minSuccess: .all),
                location: Build.here))
        let cap = Double(Self.worstCase * 3 / 2) / 1_000_000
        let running = Task {
            try await test.run(Self.workflow([fan], maxCost: cap), providers: ["mock": hanging], clock: clock)
        }
        try await clock.pass(.seconds(5))
        let (summary, run) = try await running.value
        #expect(summary.status == .failed)
        #expect(hanging.requests.count == 1)
        let manifest = try test.manifest(run)
        let budget = try #require(manifest.budget)
        #expect(budget.spentTokens == 0 && budget.reservedTokens == 0)
        #expect(budget.unsettled?.tokens == Self.worstCase && budget.unsettled?.cost == 0.00011)
        #expect(budget.exceeded && budget.refusedAttempts == 1)
        let refused = try #require(manifest.steps.first { $0.status == .failed })
        #expect(manifest.steps.filter { $0.status == .timedOut }.count == 1)
        let record = try test.record(run, step: refused.id)
        #expect(record.error?.kind == "budget_exceeded")
        #expect(record.error?.message.hasSuffix("(max_cost $0.000165 with $0 spent and $0.00011 unsettled)") == true)
    }

    /// A block's deadline cancels two branches: the one whose request was sent keeps its
    /// reservation as unsettled spend; the one still waiting for the provider's rate (one
    /// request a second) was never sent and is charged nothing.
    @Test func aCancelledAttemptIsChargedOnlyIfItWasSent() async throws {
        let clock = ManualClock()
        let test = TestRun()
        let hanging = ScriptedProvider { _ throws(ProviderError) in try await ScriptedProvider.hang() }
        var provider = Self.priced()
        provider.requestsPerMinute = 60
        let fan = StepNode.parallel(
            ParallelSpec(
                id: "fan", branches: .repeat(count: 2, step: Build.stepSpec("fan", "Vote.")),
                policy: BlockPolicy(timeout: .milliseconds(500)), location: Build.here))
        var workflow = Build.workflow([fan], providers: [provider], defaults: StepDefaults(maxTokens: 100))
        workflow.budget = Budget(maxTokens: 1000, location: Build.here)
        let running = Task { try await test.run(workflow, providers: ["mock": hanging], clock: clock) }
        try await clock.sleeping(for: .seconds(1))
        try await clock.pass(.milliseconds(500))
        let (summary, run) = try await running.value
        #expect(summary.status == .failed)
        #expect(hanging.requests.count == 1)
        let budget = try #require(try test.manifest(run).budget)
        #expect(budget.unsettled?.tokens == Self.worstCase)
        #expect(budget.spentTokens == 0 && budget.reservedTokens == 0 && budget.refusedAttempts == 0)
    }

    @Test func aTokenCapRefusesWithoutPrices() async throws {
        let test = TestRun()
        var workflow = Build.workflow([Self.fan(count: 3)], defaults: StepDefaults(maxTokens: 100))
        workflow.budget = Budget(maxTokens: 2 * Self.worstCase, location: Build.here)
        let provider = ScriptedProvider { request throws(ProviderError) in Self.costly(request) }
        let (summary, run) = try await test.run(workflow, providers: ["mock": provider])
        #expect(summary.status == .failed)
        let budget = try #require(try test.manifest(run).budget)
        #expect(budget.maxCost == nil && budget.maxTokens == 2 * Self.worstCase)
        #expect(budget.spentTokens <= 2 * Self.worstCase)
    }
}

/// `pflow resume` with a higher cap: the run goes on where the budget stopped it, and
/// nothing that succeeded is sent again.
@Suite struct BudgetResumeTests {
    @Test func aHigherCapFinishesTheRunAndResendsNothing() async throws {
        let test = TestRun()
        let steps = (0..<6).map { Build.step("s\($0)", "Vote.") }
        let workflow = BudgetTests.workflow([Build.lane("lane", steps)])
        let firstCap = Double(BudgetTests.worstCase + 2 * BudgetTests.reported) / 1_000_000
        let first = ScriptedProvider.succeeding
        let compiled = try workflow.absolute(in: test.scratch).compiled()
        // The first run is released (and its lock with it) before the resume.
        let firstSummary = await Self.run(
            try WorkflowRun.prepare(
                RunRequest(
                    workflow: compiled, outputRoot: test.scratch.path + "/runs", maxCost: firstCap, environment: [:],
                    workingDirectory: test.scratch.path, providerOverrides: ["mock": first])))
        #expect(firstSummary.status == .failed)
        #expect(first.requests.count == 3)
        #expect(firstSummary.budget?.exceeded == true)

        let second = ScriptedProvider.succeeding
        let resumed = try WorkflowRun.resume(
            RunRequest(
                workflow: compiled, maxCost: 1, environment: [:], workingDirectory: test.scratch.path,
                providerOverrides: ["mock": second]),
            from: try PriorRun.load(firstSummary.directory), options: ResumeOptions())
        let summary = await resumed.execute()
        #expect(summary.status == .succeeded)
        #expect(second.requests.map(\.stepID) == ["s3", "s4", "s5"])
        let budget = try #require(summary.budget)
        #expect(budget.maxCost == 1 && budget.spentTokens == 6 * BudgetTests.reported)
        #expect(!budget.exceeded)
    }

    /// A block's budget covers the whole run too: what its branches spent before the
    /// resume still counts, so a branch the block could not afford is not sent after it.
    @Test func aBlockBudgetCarriesItsSpendAcrossResume() async throws {
        let test = TestRun()
        let blockCap = Budget(maxTokens: 2 * BudgetTests.worstCase, location: Build.here)
        let steps = [Build.step("first", "Vote."), BudgetTests.fan(count: 4, budget: blockCap)]
        let compiled = try BudgetTests.workflow(steps).absolute(in: test.scratch).compiled()
        let costly = ScriptedProvider { request throws(ProviderError) in BudgetTests.costly(request) }
        let firstSummary = await Self.run(
            try WorkflowRun.prepare(
                RunRequest(
                    workflow: compiled, outputRoot: test.scratch.path + "/runs", environment: [:],
                    workingDirectory: test.scratch.path, providerOverrides: ["mock": costly])))
        #expect(firstSummary.status == .failed)
        #expect(costly.requests.count == 3)
        #expect(firstSummary.budget?.blocks?["fan"]?.spentTokens == 2 * BudgetTests.worstCase)

        let second = ScriptedProvider.succeeding
        let resumed = try WorkflowRun.resume(
            RunRequest(
                workflow: compiled, environment: [:], workingDirectory: test.scratch.path,
                providerOverrides: ["mock": second]),
            from: try PriorRun.load(firstSummary.directory), options: ResumeOptions())
        let summary = await resumed.execute()
        // The two refused branches are tried again and refused again, unsent: the block's
        // 220 tokens were spent in the first session.
        #expect(second.requests.isEmpty)
        let budget = try #require(summary.budget)
        #expect(budget.blocks?["fan"]?.spentTokens == 2 * BudgetTests.worstCase)
        #expect(budget.spentTokens == 3 * BudgetTests.worstCase)
        #expect(budget.refusedAttempts == 2)
    }

    private static func run(_ run: WorkflowRun) async -> RunSummary { await run.execute() }

    @Test func aCapOnProvidersWithoutPriceIsRefusedBeforeAnythingIsSent() throws {
        let test = TestRun()
        let compiled = try Build.workflow([Build.step("a")]).absolute(in: test.scratch).compiled()
        #expect {
            try WorkflowRun.prepare(
                RunRequest(
                    workflow: compiled, outputRoot: test.scratch.path + "/runs", maxCost: 1, environment: [:],
                    workingDirectory: test.scratch.path))
        } throws: { error in
            (error as? RunSetupError)?.message == "--max-cost 1 needs a price for every provider; 'mock' has none"
        }
    }
}

extension Workflow {
    fileprivate func absolute(in scratch: ScratchDirectory) -> Workflow {
        var workflow = self
        workflow.file = scratch.path + "/" + file
        return workflow
    }
}
