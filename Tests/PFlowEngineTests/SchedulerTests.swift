import Foundation
import PFlowEngine
import PFlowSpec
import Testing

@Suite("Scheduler: dataflow order and block policies", .timeLimit(.minutes(1)))
struct SchedulerTests {
    @Test("a lane's next step starts before a slow sibling finishes")
    func laneDoesNotWaitForSlowSibling() async throws {
        let laneStepStarted = Gate()
        let provider = ScriptedProvider { request throws(ProviderError) in
            switch request.stepID {
            case "slow":
                // A level-by-level scheduler would never start `second` while `slow` runs,
                // and this step would hang: the test then fails on the event order below.
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await laneStepStarted.wait() }
                    group.addTask { try? await Task.sleep(for: .seconds(5)) }
                    await group.next()
                    group.cancelAll()
                }
            case "second":
                laneStepStarted.open()
            default: break
            }
            return ScriptedProvider.answer(request)
        }
        let workflow = Build.workflow([
            Build.parallel(
                "block",
                [
                    Build.step("slow"),
                    Build.lane("lane", [Build.step("first"), Build.step("second")]),
                ])
        ])
        let test = TestRun()
        let (summary, _) = try await test.run(workflow, providers: ["mock": provider])
        #expect(summary.status == .succeeded)
        let secondStarted = try #require(test.recorder.index(of: .stepStarted, "second"))
        let slowFinished = try #require(test.recorder.index(of: .stepFinished, "slow"))
        #expect(secondStarted < slowFinished)
    }

    @Test("top-level items run in order and a failure skips what follows")
    func failureSkipsDownstream() async throws {
        let provider = ScriptedProvider { request throws(ProviderError) in
            if request.stepID == "broken" { throw ProviderError(.client, "bad request", httpStatus: 400) }
            return ScriptedProvider.answer(request)
        }
        let workflow = Build.workflow([Build.step("one"), Build.step("broken"), Build.step("three")])
        let test = TestRun()
        let (summary, run) = try await test.run(workflow, providers: ["mock": provider])
        #expect(summary.status == .failed)
        #expect(summary.error?.contains("broken") == true)
        let manifest = try test.manifest(run)
        #expect(manifest.status(of: "one") == .succeeded)
        #expect(manifest.status(of: "broken") == .failed)
        #expect(manifest.status(of: "three") == .skipped)
        #expect(provider.attempts(of: "three") == 0)
        #expect(FileManager.default.fileExists(atPath: run.directory.outputPath(forStep: "one")))
    }

    @Test("needs: waits for a sibling and is skipped when it fails")
    func needsEdges() async throws {
        let provider = ScriptedProvider { request throws(ProviderError) in
            if request.stepID == "patents" { throw ProviderError(.client, "nope", httpStatus: 404) }
            return ScriptedProvider.answer(request)
        }
        let workflow = Build.workflow([
            Build.parallel(
                "block",
                [
                    Build.step("regulatory", needs: ["patents"]),
                    Build.step("patents"),
                    Build.step("leadership"),
                ], minSuccess: .count(1))
        ])
        let test = TestRun()
        let (summary, run) = try await test.run(workflow, providers: ["mock": provider])
        #expect(summary.status == .succeeded)
        let manifest = try test.manifest(run)
        #expect(manifest.status(of: "regulatory") == .skipped)
        #expect(manifest.status(of: "leadership") == .succeeded)
        #expect(provider.attempts(of: "regulatory") == 0)
    }

    @Test("needs: a step starts only after what it needs succeeded")
    func needsOrder() async throws {
        let workflow = Build.workflow([
            Build.parallel("block", [Build.step("after", needs: ["before"]), Build.step("before")])
        ])
        let test = TestRun()
        let (summary, _) = try await test.run(workflow, providers: ["mock": ScriptedProvider.succeeding])
        #expect(summary.status == .succeeded)
        let afterStarted = try #require(test.recorder.index(of: .stepStarted, "after"))
        let beforeFinished = try #require(test.recorder.index(of: .stepFinished, "before"))
        #expect(beforeFinished < afterStarted)
    }

    @Test("min_success 3 of 5 with two failing branches succeeds and names the failures")
    func minSuccessAbsorbsFailures() async throws {
        let provider = ScriptedProvider { request throws(ProviderError) in
            if ["b", "d"].contains(request.stepID) { throw ProviderError(.client, "refused", httpStatus: 403) }
            return ScriptedProvider.answer(request)
        }
        let workflow = Build.workflow(
            [
                Build.parallel("analysts", ["a", "b", "c", "d", "e"].map { Build.step($0) }, minSuccess: .count(3)),
                Build.step("synthesis", "Merge:\n{{ steps.analysts.outputs }}\nMissing: {{ steps.analysts.failed }}"),
            ], output: "synthesis")
        let test = TestRun()
        let (summary, run) = try await test.run(workflow, providers: ["mock": provider])
        #expect(summary.status == .succeeded)
        let prompt = try #require(provider.requests.first { $0.stepID == "synthesis" }?.prompt)
        #expect(prompt.contains("Missing: b, d"))
        #expect(prompt.contains("## a\n\nanswer from a\n\n## c\n\nanswer from c\n\n## e\n\nanswer from e"))
        #expect(test.scratch.read(run.directory.resultPath) == "answer from synthesis")
    }

    @Test("min_success all: the first failure fails the block and cancels running siblings")
    func failFastCancelsSiblings() async throws {
        let provider = ScriptedProvider { request throws(ProviderError) in
            if request.stepID == "fails" { throw ProviderError(.client, "unauthorized", httpStatus: 401) }
            try await ScriptedProvider.hang()
        }
        let workflow = Build.workflow([
            Build.parallel("block", [Build.step("hangs1"), Build.step("fails"), Build.step("hangs2")]),
            Build.step("after"),
        ])
        let test = TestRun()
        let (summary, run) = try await test.run(workflow, providers: ["mock": provider])
        #expect(summary.status == .failed)
        #expect(
            summary.error == "block 'block' failed: 0 of 3 succeeded, 3 required; not succeeded: hangs1, fails, hangs2")
        let manifest = try test.manifest(run)
        #expect(manifest.status(of: "block") == .failed)
        #expect(manifest.status(of: "hangs1") == .cancelled)
        #expect(manifest.status(of: "hangs2") == .cancelled)
        #expect(manifest.status(of: "after") == .skipped)
        #expect(Set(provider.cancelledSteps) == ["hangs1", "hangs2"])
    }

    @Test("stragglers: cancel stops the rest once min_success is met")
    func stragglersCancel() async throws {
        let provider = ScriptedProvider { request throws(ProviderError) in
            if request.stepID.hasPrefix("slow") { try await ScriptedProvider.hang() }
            return ScriptedProvider.answer(request)
        }
        let workflow = Build.workflow([
            Build.parallel(
                "race", [Build.step("slow1"), Build.step("fast"), Build.step("slow2")], minSuccess: .count(1),
                stragglers: .cancel),
            Build.step("next", "Winner: {{ steps.race.outputs }} / lost: {{ steps.race.failed }}"),
        ])
        let test = TestRun()
        let (summary, run) = try await test.run(workflow, providers: ["mock": provider])
        #expect(summary.status == .succeeded)
        let manifest = try test.manifest(run)
        #expect(manifest.status(of: "race") == .succeeded)
        #expect(manifest.status(of: "slow1") == .cancelled)
        #expect(manifest.status(of: "slow2") == .cancelled)
        let prompt = try #require(provider.requests.first { $0.stepID == "next" }?.prompt)
        #expect(prompt == "Winner: ## fast\n\nanswer from fast / lost: slow1, slow2")
    }

    @Test("a block timeout ends unfinished branches as timed_out")
    func blockTimeout() async throws {
        let stuckStarted = Gate()
        let provider = ScriptedProvider { request throws(ProviderError) in
            if request.stepID == "quick" { return ScriptedProvider.answer(request) }
            stuckStarted.open()
            try await ScriptedProvider.hang()
        }
        let workflow = Build.workflow([
            Build.parallel("block", [Build.step("quick"), Build.step("stuck")], timeout: .seconds(50))
        ])
        let test = TestRun()
        let clock = ManualClock()
        async let outcome = test.run(workflow, providers: ["mock": provider], clock: clock)
        await test.recorder.waitFor(.stepFinished, "quick")
        await stuckStarted.wait()
        try await clock.pass(.seconds(50))
        let (summary, run) = try await outcome
        #expect(summary.status == .failed)
        let manifest = try test.manifest(run)
        #expect(manifest.status(of: "quick") == .succeeded)
        #expect(manifest.status(of: "stuck") == .timedOut)
        #expect(manifest.status(of: "block") == .timedOut)
    }

    @Test("a run timeout fails the run and times out what was running")
    func runTimeout() async throws {
        let stuckStarted = Gate()
        let provider = ScriptedProvider { _ throws(ProviderError) in
            stuckStarted.open()
            try await ScriptedProvider.hang()
        }
        let workflow = Build.workflow([Build.step("stuck"), Build.step("never")], timeout: .seconds(50))
        let test = TestRun()
        let clock = ManualClock()
        async let outcome = test.run(workflow, providers: ["mock": provider], clock: clock)
        await stuckStarted.wait()
        try await clock.pass(.seconds(50))
        let (summary, run) = try await outcome
        #expect(summary.status == .failed)
        #expect(summary.error == "the run timed out")
        let manifest = try test.manifest(run)
        #expect(manifest.status(of: "stuck") == .timedOut)
        #expect(manifest.status(of: "never") == .skipped)
    }

    @Test("cancelling the run interrupts it: in-flight requests are cancelled, run.json says interrupted")
    func interruption() async throws {
        let started = Gate()
        let provider = ScriptedProvider { _ throws(ProviderError) in
            started.open()
            try await ScriptedProvider.hang()
        }
        let workflow = Build.workflow([Build.parallel("block", [Build.step("a"), Build.step("b")])])
        let test = TestRun()
        let task = Task { try await test.run(workflow, providers: ["mock": provider]) }
        await started.wait()
        task.cancel()
        let (summary, run) = try await task.value
        #expect(summary.status == .interrupted)
        #expect(try test.manifest(run).status == .interrupted)
        #expect(!provider.cancelledSteps.isEmpty)
    }

    /// Holds every request until `count` are in flight at once, then lets all through: a
    /// limit of `count` is then reached exactly, and a scheduler that ran fewer at once
    /// would never open the gate (the suite's time limit ends it).
    static func holding(_ count: Int) -> ScriptedProvider {
        let arrived = Locked(0)
        let full = Gate()
        return ScriptedProvider { request throws(ProviderError) in
            var reached = false
            arrived.update { value in
                value += 1
                reached = value == count
            }
            if reached { full.open() }
            await full.wait()
            return ScriptedProvider.answer(request)
        }
    }

    @Test("block max_concurrency: exactly that many requests in flight")
    func blockConcurrencyLimit() async throws {
        let provider = Self.holding(3)
        let workflow = Build.workflow([
            Build.parallel("block", (0..<12).map { Build.step("s\($0)") }, maxConcurrency: 3)
        ])
        let test = TestRun()
        let (summary, _) = try await test.run(workflow, providers: ["mock": provider])
        #expect(summary.status == .succeeded)
        #expect(provider.peakInFlight == 3)
        #expect(provider.requests.count == 12)
    }

    @Test("provider max_concurrency: exactly that many requests in flight, also under --mock")
    func providerConcurrencyLimit() async throws {
        let provider = Self.holding(2)
        let workflow = Build.workflow(
            [Build.repeated("votes", count: 20)], providers: [Build.mock("mock", maxConcurrency: 2)])
        let test = TestRun()
        let (summary, _) = try await test.run(workflow, providers: ["mock": provider], maxConcurrency: 10)
        #expect(summary.status == .succeeded)
        #expect(provider.peakInFlight == 2)
        #expect(provider.requests.count == 20)
    }

    @Test("repeat branches are named <id>.<index> and all run")
    func repeatBranches() async throws {
        let provider = ScriptedProvider.succeeding
        let workflow = Build.workflow([Build.repeated("verdict", count: 5)])
        let test = TestRun()
        let (summary, run) = try await test.run(workflow, providers: ["mock": provider])
        #expect(summary.status == .succeeded)
        let manifest = try test.manifest(run)
        #expect(manifest.steps.map(\.id) == (0..<5).map { "verdict.\($0)" })
        #expect(manifest.steps.allSatisfy { $0.block == "verdict" && $0.status == .succeeded })
    }
}

@Suite("The engine's input: only a compiled workflow")
struct CompiledInputTests {
    @Test("a needs: cycle built in code never becomes a CompiledWorkflow, so it cannot reach a run")
    func aCycleIsRefusedBeforeTheEngine() {
        let workflow = Build.workflow([
            Build.parallel("block", [Build.step("a", needs: ["b"]), Build.step("b", needs: ["a"])])
        ])
        let compilation = WorkflowCompiler.compile(workflow)
        #expect(compilation.compiled == nil)
        #expect(compilation.diagnostics.contains { $0.severity == .error && $0.message.contains("cycle") })
    }
}
