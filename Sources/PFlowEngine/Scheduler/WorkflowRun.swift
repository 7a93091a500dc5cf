import Foundation
import PFlowSpec

/// One run of a workflow: prepared (inputs, providers, run directory; everything that can
/// be wrong with the command line fails here, before any request), then executed.
///
/// The pipeline: `prepare` resolves inputs and providers and creates the run directory;
/// `execute` walks the tree with `NodeExecutor`, while the journal rewrites run.json and
/// the event log flushes events.jsonl in the background; the end writes result.md and
/// the final run.json.
public final class WorkflowRun: Sendable {
    public let directory: RunDirectory
    private let workflow: Workflow
    let executor: NodeExecutor
    private let journal: RunJournal
    private let events: EventEmitter
    private let log: EventLog
    private let clock: RunClock
    /// Held for the whole run, so `pflow resume` cannot race it.
    private let lock: RunLock
    /// Set when this session resumes an earlier one.
    private let resumption: Resumption?

    private struct Resumption: Sendable {
        let plan: ResumePlan
        /// run.json's duration before this session: the run's total adds this session's.
        let earlierDuration: Double
    }

    /// The backoff's jitter in production: uniform in 0..<1.
    public static let randomJitter: @Sendable () -> Double = { Double.random(in: 0..<1) }

    /// Checks inputs and providers, then creates the run directory and its first run.json.
    /// `clock` and `jitter` are the run's time and the backoff's chance; tests pass their own.
    public static func prepare(
        _ request: RunRequest, clock runClock: RunClock = .continuous,
        jitter: @escaping @Sendable () -> Double = randomJitter, observer: (any RunObserver)? = nil
    ) throws(RunSetupError) -> WorkflowRun {
        let workflow = request.workflow
        let setup = try Setup(request, inputs: request.inputs, inputFiles: request.inputFiles, clock: runClock)
        let directory: RunDirectory
        let log: EventLog
        let lock: RunLock
        do {
            directory = try RunDirectory.create(
                root: absolute(request.outputRoot, in: request.workingDirectory), workflowName: workflow.name,
                now: runClock.date())
            lock = try directory.lock()
            log = try EventLog(path: directory.eventsPath)
            try directory.markLatest()
        } catch {
            throw RunSetupError(error.message)
        }
        let maxConcurrency = request.maxConcurrency ?? workflow.maxConcurrency
        let manifest = RunManifest(
            run: directory.runID,
            workflow: RunManifest.WorkflowInfo(name: workflow.name, path: setup.workflowPath, sha256: setup.sha256),
            inputs: setup.inputs.recorded, status: .running, startedAt: UTCTimestamp.iso8601(runClock.date()),
            mock: request.mockProviders, maxConcurrency: maxConcurrency, steps: [], blocks: [],
            totals: RunManifest.Totals(
                steps: 0, statuses: [:], requests: 0, inputTokens: 0, outputTokens: 0, costUSD: 0),
            inputFiles: setup.inputs.fromFiles.isEmpty ? nil : setup.inputs.fromFiles)
        let maxCost = [request.maxCost, workflow.budget?.maxCost].compactMap { $0 }.min()
        return try assemble(
            request, setup: setup, manifest: manifest, directory: directory, log: log, lock: lock, resume: nil,
            runBudget: RunBudget(maxCost: maxCost, spent: .zero), clock: runClock, jitter: jitter, observer: observer)
    }

    /// Continues the run in `prior`'s directory: the same inputs (from run.json), the
    /// workflow in `request` (which must hash as recorded unless `options.force`), steps
    /// that succeeded reused when their request is unchanged, the rest run again (see
    /// `ResumePlan`). `request.inputs`, `inputFiles` and `outputRoot` are not used.
    public static func resume(
        _ request: RunRequest, from prior: PriorRun, options: ResumeOptions, clock runClock: RunClock = .continuous,
        jitter: @escaping @Sendable () -> Double = randomJitter, observer: (any RunObserver)? = nil
    ) throws(RunSetupError) -> WorkflowRun {
        let earlier = prior.manifest
        let fromFiles = Set(earlier.inputFiles ?? [])
        let setup = try Setup(
            request, inputs: earlier.inputs.filter { !fromFiles.contains($0.key) },
            inputFiles: earlier.inputs.filter { fromFiles.contains($0.key) }, clock: runClock)
        if setup.sha256 != earlier.workflow.sha256 && !options.force {
            throw RunSetupError(
                "\(setup.workflowPath) has changed since this run started (sha256 \(earlier.workflow.sha256.prefix(12)) "
                    + "then, \(setup.sha256.prefix(12)) now); pass --force to resume with it: steps whose request "
                    + "is unchanged are still reused")
        }
        let directory = prior.directory
        let log: EventLog
        let lock: RunLock
        do {
            lock = try directory.lock()
            log = try EventLog(path: directory.eventsPath, appending: true)
        } catch {
            throw RunSetupError(error.message)
        }
        var manifest = earlier
        manifest.workflow = RunManifest.WorkflowInfo(
            name: request.workflow.name, path: setup.workflowPath, sha256: setup.sha256)
        manifest.inputs = setup.inputs.recorded
        manifest.inputFiles = setup.inputs.fromFiles.isEmpty ? nil : setup.inputs.fromFiles
        manifest.status = .running
        manifest.error = nil
        manifest.endedAt = nil
        manifest.result = nil
        manifest.criticalPath = nil
        manifest.mock = request.mockProviders
        manifest.maxConcurrency = request.maxConcurrency ?? request.workflow.maxConcurrency
        manifest.resumes =
            (earlier.resumes ?? []) + [
                RunManifest.Resume(
                    startedAt: UTCTimestamp.iso8601(runClock.date()), onlyFailed: options.onlyFailed,
                    forced: setup.sha256 != earlier.workflow.sha256)
            ]
        let plan = ResumePlan(prior: prior, onlyFailed: options.onlyFailed, workflow: request.workflow)
        // The caps cover the whole run: what earlier sessions spent counts against them, the
        // run's and each block's alike, from the one place that records both, run.json's
        // budget (step records miss what unanswered attempts were charged).
        let spent =
            earlier.budget.map { BudgetCharge(cost: $0.spentCost, tokens: $0.spentTokens) }
            ?? BudgetCharge(
                cost: earlier.totals.costUSD, tokens: earlier.totals.inputTokens + earlier.totals.outputTokens)
        let runBudget = RunBudget(
            maxCost: request.maxCost ?? request.workflow.budget?.maxCost, spent: spent,
            unsettled: earlier.budget?.unsettled.map(BudgetCharge.init) ?? .zero,
            blocks: earlier.budget?.blocks ?? [:])
        return try assemble(
            request, setup: setup, manifest: manifest, directory: directory, log: log, lock: lock, resume: plan,
            runBudget: runBudget, clock: runClock, jitter: jitter, observer: observer)
    }

    /// What a fresh and a resumed run check and build the same way, before any folder is touched.
    private struct Setup {
        let workflowPath: String
        let workflowDirectory: String
        let inputs: ResolvedInputs
        let registry: ProviderRegistry
        let sha256: String
        let expander: MapExpander

        init(
            _ request: RunRequest, inputs given: [String: String], inputFiles: [String: String], clock: RunClock
        ) throws(RunSetupError) {
            let workflow = request.workflow
            workflowPath = WorkflowRun.absolute(workflow.file, in: request.workingDirectory)
            workflowDirectory = (workflowPath as NSString).deletingLastPathComponent
            inputs = try InputResolver.resolve(
                declared: workflow.inputs, values: given, files: inputFiles,
                workflowDirectory: workflowDirectory, workingDirectory: request.workingDirectory)
            expander = MapExpander(
                baseDirectory: workflowDirectory, inputs: inputs.values, allowOutside: request.allowOutside)
            try WorkflowRun.checkMapFiles(in: workflow.steps, with: expander)
            registry = try ProviderRegistry(
                workflow: workflow, used: WorkflowRun.usedProviders(in: workflow),
                mockEverything: request.mockProviders, environment: request.environment,
                baseDirectory: workflowDirectory,
                runConcurrency: request.maxConcurrency ?? workflow.maxConcurrency,
                overrides: request.providerOverrides, clock: clock)
            if let source = request.source {
                sha256 = SHA256.hex(source)
            } else if let bytes = FileManager.default.contents(atPath: workflowPath) {
                sha256 = SHA256.hex(bytes)
            } else {
                sha256 = ""
            }
        }
    }

    /// The run's own budget as this session starts.
    private struct RunBudget {
        var maxCost: Double?
        var spent: BudgetCharge
        var unsettled = BudgetCharge.zero
        /// What earlier sessions spent in each block's budget.
        var blocks: [String: RunManifest.BlockBudget] = [:]
    }

    private static func assemble(
        _ request: RunRequest, setup: Setup, manifest: RunManifest, directory: RunDirectory, log: EventLog,
        lock: RunLock, resume: ResumePlan?, runBudget: RunBudget, clock runClock: RunClock,
        jitter: @escaping @Sendable () -> Double, observer: (any RunObserver)?
    ) throws(RunSetupError) -> WorkflowRun {
        let workflow = request.workflow
        if let maxCost = request.maxCost {
            let unpriced = workflow.unpricedProviders(in: workflow.steps)
            if !unpriced.isEmpty {
                throw RunSetupError(
                    "--max-cost \(BudgetLedger.dollars(maxCost)) needs a price for every provider; "
                        + unpriced.map { "'\($0)'" }.joined(separator: ", ") + " has none")
            }
        }
        var manifest = manifest
        let limits = usedProviders(in: workflow).compactMap { name in
            workflow.provider(named: name)?.maxConcurrency.map { (name, $0) }
        }
        manifest.providerMaxConcurrency = limits.isEmpty ? nil : Dictionary(uniqueKeysWithValues: limits)
        let journal = RunJournal(
            manifest: manifest, path: directory.manifestPath, priorAttempts: resume?.prior.attemptsSeen ?? [:])
        let board = SettlementBoard()
        let events = EventEmitter(runID: directory.runID, clock: runClock, log: log, observer: observer)
        let registry = setup.registry
        var executor = NodeExecutor(
            workflow: workflow, directory: directory, board: board, journal: journal, events: events,
            registry: registry, renderer: TemplateRenderer(inputs: setup.inputs.values, board: board),
            keptAnswers: KeptAnswers(workflow: workflow, output: Self.outputStepID(of: workflow)),
            expander: setup.expander, clock: runClock, jitter: jitter,
            runLimit: manifest.maxConcurrency.map { AsyncSemaphore(permits: $0) },
            networkLimit: registry.usesNetwork
                ? request.networkConcurrencyCeiling.map { AsyncSemaphore(permits: $0) } : nil)
        executor.resume = resume
        if workflow.hasBudget || runBudget.maxCost != nil {
            let budgets = BudgetLedger(carried: runBudget.blocks)
            executor.budgets = budgets
            executor.runBudget = budgets.openRun(
                maxCost: runBudget.maxCost, maxTokens: workflow.budget?.maxTokens, spent: runBudget.spent,
                unsettled: runBudget.unsettled)
            executor.recordBudget()
        }
        register(workflow.steps, in: journal, executor: executor)
        do { try journal.write(force: true) } catch { throw RunSetupError(error.message) }
        let resumption = resume.map { Resumption(plan: $0, earlierDuration: manifest.durationSeconds ?? 0) }
        return WorkflowRun(
            directory: directory, workflow: workflow, executor: executor, journal: journal, events: events, log: log,
            clock: runClock, lock: lock, resumption: resumption)
    }

    private init(
        directory: RunDirectory, workflow: Workflow, executor: NodeExecutor, journal: RunJournal,
        events: EventEmitter, log: EventLog, clock: RunClock, lock: RunLock, resumption: Resumption?
    ) {
        self.lock = lock
        self.resumption = resumption
        self.directory = directory
        self.workflow = workflow
        self.executor = executor
        self.journal = journal
        self.events = events
        self.log = log
        self.clock = clock
    }

    /// Runs the workflow to the end. Cancelling the calling task interrupts the run: in-flight
    /// requests are cancelled and run.json says `interrupted`.
    public func execute() async -> RunSummary {
        events.emit(resumption == nil ? .runStarted : .runResumed)
        events.flush()
        let outcome = await withTaskGroup(of: Void.self) { group -> NodeOutcome in
            group.addTask { await self.journal.writePeriodically() }
            group.addTask { await self.log.flushPeriodically() }
            let outcome = await runSteps()
            group.cancelAll()
            return outcome
        }
        return finish(outcome, interrupted: Task.isCancelled)
    }

    /// The run's budget as it stands (caps, what earlier sessions and this one spent), for a
    /// live display; nil when the run has none.
    public var budget: RunManifest.BudgetState? { executor.budgetState }

    /// Records the run as interrupted and writes run.json and the event log now, from any
    /// thread: for a second SIGINT, just before the process exits.
    public func recordInterruption() {
        journal.updateRun { manifest in
            manifest.status = .interrupted
            manifest.error = "interrupted"
            manifest.endedAt = UTCTimestamp.iso8601(clock.date())
        }
        _ = try? journal.write(force: true)
        events.emit(.runFinished, status: .run(.interrupted), error: "interrupted")
        log.flush()
    }

    private func runSteps() async -> NodeOutcome {
        let root = ExecutionScope(parent: nil, budget: executor.runBudget)
        let (outcome, timedOut) = await withDeadline(
            workflow.timeout, clock: clock, onDeadline: { root.cancel(because: .timedOut) }
        ) { [executor, workflow] in
            await executor.runList(workflow.steps, scope: root, after: nil)
        }
        return timedOut ? NodeOutcome(status: .timedOut, chain: outcome.chain) : outcome
    }

    private func finish(_ outcome: NodeOutcome, interrupted: Bool) -> RunSummary {
        // Every step has settled: what is read from this snapshot no longer changes.
        let snapshot = journal.snapshot()
        let status: RunStatus
        var error: String?
        if interrupted {
            status = .interrupted
            error = "interrupted"
        } else if outcome.status == .succeeded {
            status = .succeeded
        } else {
            status = .failed
            error =
                outcome.status == .timedOut && workflow.timeout != nil
                ? "the run timed out" : failureReason(in: workflow.steps, manifest: snapshot)
        }

        var resultPath: String?
        if let outputID = Self.outputStepID(of: workflow), executor.board.settlement(of: outputID)?.status == .succeeded
        {
            do {
                try AtomicFile.write(try resultText(of: outputID), to: directory.resultPath)
                resultPath = directory.resultPath
            } catch let writeError {
                error = writeError.message
            }
        }

        let wall = events.elapsed()
        let criticalPath = ChainLink.longest(
            snapshot.steps.compactMap { executor.board.settlement(of: $0.id)?.chain } + [outcome.chain])
        journal.updateRun { manifest in
            manifest.status = status
            manifest.error = error
            manifest.endedAt = UTCTimestamp.iso8601(clock.date())
            manifest.durationSeconds = (((resumption?.earlierDuration ?? 0) + wall.seconds) * 1000).rounded() / 1000
            manifest.result = resultPath == nil ? nil : "result.md"
            manifest.criticalPath = criticalPath.map {
                RunManifest.CriticalPath(seconds: $0.total.roundedSeconds, steps: $0.stepIDs)
            }
        }
        var writeError: String?
        do { try journal.write(force: true) } catch { writeError = error.message }
        events.emit(.runFinished, status: .run(status), error: error ?? writeError, duration: wall)
        log.flush()

        var counts: [NodeStatus: Int] = [:]
        for (name, count) in snapshot.totals.statuses {
            if let status = NodeStatus(rawValue: name) { counts[status] = count }
        }
        return RunSummary(
            runID: directory.runID, directory: directory.path, status: status, error: error ?? writeError,
            wallTime: wall, criticalPath: criticalPath?.total ?? .zero, criticalPathSteps: criticalPath?.stepIDs ?? [],
            usage: TokenUsage(inputTokens: snapshot.totals.inputTokens, outputTokens: snapshot.totals.outputTokens),
            costUSD: snapshot.totals.costUSD, requests: snapshot.totals.requests, statusCounts: counts,
            resultPath: resultPath, budget: snapshot.budget,
            resumed: resumption.map { resumption in
                let before = snapshot.steps.reduce(0) { $0 + (resumption.plan.prior.attemptsSeen[$1.id] ?? 0) }
                return ResumeCounts(
                    reusedSteps: resumption.plan.reused.count, requests: snapshot.totals.requests - before)
            })
    }

    /// The step whose answer becomes result.md: `output:`, else the last top-level item
    /// when it is a step or a `reduce`.
    private static func outputStepID(of workflow: Workflow) -> String? {
        if let output = workflow.output { return output.value }
        switch workflow.steps.last {
        case .step(let step): return step.id
        case .reduce(let reduce): return reduce.id
        default: return nil
        }
    }

    /// What result.md says: a step's answer; for a `reduce`, its readable tally
    /// (steps/<id>.md), since its answer is the compact JSON that templates read.
    private func resultText(of id: String) throws(RunStoreError) -> String {
        var isReduce = false
        workflow.steps.walk { node in
            if case .reduce(let reduce) = node, reduce.id == id { isReduce = true }
        }
        guard isReduce else { return executor.renderer.text(of: id) }
        switch RegularFile.read(directory.outputPath(forStep: id)) {
        case .success(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .failure(let problem): throw RunStoreError("steps/\(id).md " + problem.message(for: "a file"))
        }
    }

    /// Why the run failed, from the first top-level item that did not succeed, down to
    /// the step or block that decided it (a failure a block absorbed is not the cause).
    private func failureReason(in nodes: [StepNode], manifest: RunManifest) -> String? {
        guard let node = nodes.first(where: { executor.board.settlement(of: $0.id)?.status != .succeeded }) else {
            return nil
        }
        let status = executor.board.settlement(of: node.id)?.status ?? .pending
        switch node {
        case .step, .reduce:
            let error = manifest.steps.first { $0.id == node.id }?.error
            return "step '\(node.id)' \(status.pastTense)" + (error.map { ": \($0)" } ?? "")
        case .sequence(let lane):
            return failureReason(in: lane.steps, manifest: manifest)
        case .parallel, .map:
            var reason = "block '\(node.id)' \(status.pastTense)"
            if let summary = manifest.blocks.first(where: { $0.id == node.id })?.error { reason += ": \(summary)" }
            let ids = executor.renderer.failedBranches(of: node.id)
            if !ids.isEmpty {
                reason +=
                    "; not succeeded: "
                    + (ids.count > 8 ? ids.prefix(8).joined(separator: ", ") + ", ..." : ids.joined(separator: ", "))
            }
            return reason
        }
    }

    private static func absolute(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : directory + "/" + path
    }

    /// Registers every statically known step and block in declaration order, so run.json
    /// lists the whole run from the start; map branches join when their map expands.
    private static func register(_ nodes: [StepNode], in journal: RunJournal, executor: NodeExecutor) {
        nodes.walk(from: nil as String?) { node, block in
            switch node {
            case .step(let step):
                let settings = StepSettings(step: step, workflow: executor.workflow)
                journal.registerStep(
                    step.id, block: block, provider: settings.providerName,
                    model: executor.modelName(settings: settings))
            case .sequence(let lane):
                journal.registerBlock(lane.id, kind: .sequence, branches: lane.steps.count, required: lane.steps.count)
            case .parallel(let parallel):
                journal.registerBlock(
                    parallel.id, kind: .parallel, branches: parallel.width,
                    required: parallel.policy.minSuccess.required(of: parallel.width))
                if case .repeat(let count, let step) = parallel.branches {
                    let settings = StepSettings(step: step, workflow: executor.workflow)
                    for index in 0..<count {
                        journal.registerStep(
                            "\(parallel.id).\(index)", block: parallel.id, provider: settings.providerName,
                            model: executor.modelName(settings: settings))
                    }
                }
            case .map(let map):
                journal.registerBlock(map.id, kind: .map, branches: 0, required: 0)
                journal.registerMap(map.id)
            case .reduce(let reduce):
                journal.registerStep(reduce.id, block: block, provider: nil, model: nil)
            }
            return node.id
        }
    }

    /// The files every map will read, checked before anything is sent, so a `lines:` file
    /// that is a FIFO, too large, or outside the folder costs no request. Maps check them
    /// again when they expand.
    private static func checkMapFiles(in nodes: [StepNode], with expander: MapExpander) throws(RunSetupError) {
        try nodes.walk { (node) throws(RunSetupError) in
            guard case .map(let map) = node else { return }
            do throws(TemplateRenderError) { try expander.check(map.source.value) } catch {
                throw RunSetupError(error.message)
            }
        }
    }

    /// Every provider some step will call.
    static func usedProviders(in workflow: Workflow) -> Set<String> {
        var names: Set<String> = []
        workflow.steps.walk { node in
            if let step = node.requestStep { names.insert(StepSettings(step: step, workflow: workflow).providerName) }
        }
        return names
    }
}
