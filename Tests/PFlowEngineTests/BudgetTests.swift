import Foundation
import PFlowEngine
import PFlowSpec
import Testing

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

    /// A provider that holds every request at `gate`, counting arrivals.
    static func held(at gate: Gate, arrived: Locked<Int>) -> ScriptedProvider {
        ScriptedProvider { request throws(ProviderError) in
            arrived.update { $0 += 1 }
            await gate.wait()
            return ScriptedProvider.answer(request)
        }
    }

    /// Opens `gate` once each of `branches` steps has reached the provider or been refused,
    /// so every reservation is decided while the admitted attempts are all still held.
    static func open(_ gate: Gate, whenSettled branches: Int, arrived: Locked<Int>, test: TestRun) -> Task<Void, Error>
    {
        Task {
            while arrived.value + test.recorder.all.filter({ $0.kind == .stepFinished }).count < branches {
                try await Task.sleep(for: .milliseconds(5))
            }
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

    /// Forty attempts at once, held at a gate, against a budget that affords fifteen worst
    /// cases: exactly fifteen reach the server, the rest fail as `budget_exceeded` without
    /// being sent, and the spend stays under the cap.
    @Test func concurrentAttemptsNeverOverrunTheBudget() async throws {
        let gate = Gate()
        let arrived = Locked(0)
        let provider = Self.held(at: gate, arrived: arrived)
        let cap = Double(15 * Self.worstCase) / 1_000_000
        let test = TestRun()
        let opener = Self.open(gate, whenSettled: 40, arrived: arrived, test: test)
        let (summary, run) = try await test.run(
            Self.workflow([Self.fan(count: 40)], maxCost: cap), providers: ["mock": provider])
        try await opener.value

        #expect(provider.requests.count == 15)
        #expect(provider.peakInFlight == 15)
        #expect(summary.status == .failed)
        let manifest = try test.manifest(run)
        let budget = try #require(manifest.budget)
        #expect(budget.exceeded && budget.refusedAttempts == 25)
        #expect(budget.maxCost == cap)
        #expect(budget.spentTokens == 15 * Self.reported && budget.reservedTokens == 0)
        #expect(budget.spentCost <= cap)
        let refused = manifest.steps.filter { $0.status == .failed }
        #expect(refused.count == 25)
        #expect(refused.allSatisfy { $0.attempts == 0 })
        let record = try test.record(run, step: try #require(refused.first?.id))
        #expect(record.error?.kind == "budget_exceeded")
        #expect(record.error?.message.hasPrefix("not sent: its worst case ($0.00011, 110 tokens) does not fit") == true)
        #expect(summary.budget == budget)
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
        let test = TestRun()
        let cap = Double(15 * Self.worstCase) / 1_000_000
        let gate = Gate()
        let arrived = Locked(0)
        let provider = Self.held(at: gate, arrived: arrived)
        let opener = Self.open(gate, whenSettled: 40, arrived: arrived, test: test)
        let (summary, run) = try await test.run(
            Self.workflow([Self.fan(count: 40, minSuccess: .count(10))], maxCost: cap), providers: ["mock": provider])
        try await opener.value
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
        let opener = Self.open(gate, whenSettled: 5, arrived: arrived, test: test)
        let (summary, run) = try await test.run(
            Self.workflow([Self.fan(count: 5, minSuccess: .count(3), budget: blockCap)], maxTokens: 100_000),
            providers: ["mock": Self.held(at: gate, arrived: arrived)])
        try await opener.value
        #expect(summary.status == .succeeded)
        #expect(arrived.value == 3)
        let budget = try #require(try test.manifest(run).budget)
        #expect(budget.maxTokens == 100_000 && budget.spentTokens == 3 * Self.reported)
        #expect(budget.exceeded && budget.refusedAttempts == 2)
        let refused = try #require(try test.manifest(run).steps.first { $0.status == .failed })
        #expect(
            refused.error?.contains("the budget of block 'fan' (max_tokens 330 with 0 spent and 330 reserved)") == true)
    }

    @Test func aTokenCapRefusesWithoutPrices() async throws {
        let test = TestRun()
        var workflow = Build.workflow([Self.fan(count: 3)], defaults: StepDefaults(maxTokens: 100))
        workflow.budget = Budget(maxTokens: 2 * Self.worstCase, location: Build.here)
        let (summary, run) = try await test.run(workflow, providers: ["mock": ScriptedProvider.succeeding])
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
