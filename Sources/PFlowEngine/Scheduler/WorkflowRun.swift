import Foundation
import PFlowSpec

/// What to run and how: the command line's choices, already parsed.
public struct RunRequest: Sendable {
    public var workflow: Workflow
    /// `--input k=v`.
    public var inputs: [String: String]
    /// `--input-file k=PATH`.
    public var inputFiles: [String: String]
    /// `--out`: the folder holding `<name>/<run id>/`.
    public var outputRoot: String
    /// `--max-concurrency`, over the workflow's `max_concurrency`.
    public var maxConcurrency: Int?
    /// `--mock`: every provider becomes the offline mock, keeping its limits.
    public var mockProviders: Bool
    public var environment: [String: String]
    public var workingDirectory: String
    /// Stand-ins for named providers (embedding pflow, tests); their limits still apply.
    public var providerOverrides: [String: any LLMProvider]
    /// Requests over the network stay below this (the open-file limit, less a margin).
    public var networkConcurrencyCeiling: Int?
    /// The bytes the workflow was compiled from, for run.json's sha256; read from
    /// `workflow.file` when nil.
    public var source: [UInt8]?
    /// `--allow-outside`: map files may resolve outside the workflow's folder. The same
    /// choice the workflow was compiled with, applied again when maps expand.
    public var allowOutside: Bool

    public init(
        workflow: Workflow, inputs: [String: String] = [:], inputFiles: [String: String] = [:],
        outputRoot: String = "runs", maxConcurrency: Int? = nil, mockProviders: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath,
        providerOverrides: [String: any LLMProvider] = [:], networkConcurrencyCeiling: Int? = nil,
        source: [UInt8]? = nil, allowOutside: Bool = false
    ) {
        self.workflow = workflow
        self.inputs = inputs
        self.inputFiles = inputFiles
        self.outputRoot = outputRoot
        self.maxConcurrency = maxConcurrency
        self.mockProviders = mockProviders
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.providerOverrides = providerOverrides
        self.networkConcurrencyCeiling = networkConcurrencyCeiling
        self.source = source
        self.allowOutside = allowOutside
    }
}

/// What the command line prints at the end.
public struct RunSummary: Sendable {
    public var runID: String
    public var directory: String
    public var status: RunStatus
    public var error: String?
    public var wallTime: Duration
    public var criticalPath: Duration
    public var criticalPathSteps: [String]
    public var usage: TokenUsage
    public var costUSD: Double
    public var requests: Int
    public var statusCounts: [NodeStatus: Int]
    /// result.md, when the output step succeeded.
    public var resultPath: String?
    /// For a resumed run: what was reused and what this session sent.
    public var resumed: ResumeCounts?
}

/// What `pflow resume` saved and spent.
public struct ResumeCounts: Sendable, Hashable {
    /// Steps whose earlier output was reused without a request.
    public var reusedSteps: Int
    /// Requests sent in this session.
    public var requests: Int
}

/// How `pflow resume` treats the earlier session.
public struct ResumeOptions: Sendable, Hashable {
    /// Resume although the workflow file changed; steps whose request is unchanged are reused.
    public var force: Bool
    /// Run again only failed and timed-out steps and the steps they caused to be skipped.
    public var onlyFailed: Bool

    public init(force: Bool = false, onlyFailed: Bool = false) {
        self.force = force
        self.onlyFailed = onlyFailed
    }
}

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

    /// Checks inputs and providers, then creates the run directory and its first run.json.
    public static func prepare(
        _ request: RunRequest, clock: any Clock<Duration> = ContinuousClock(), observer: (any RunObserver)? = nil
    ) throws(RunSetupError) -> WorkflowRun {
        let workflow = request.workflow
        let runClock = RunClock(clock)
        let setup = try Setup(request, inputs: request.inputs, inputFiles: request.inputFiles, clock: runClock)
        let directory: RunDirectory
        let log: EventLog
        let lock: RunLock
        do {
            directory = try RunDirectory.create(
                root: absolute(request.outputRoot, in: request.workingDirectory), workflowName: workflow.name)
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
            inputs: setup.inputs.recorded, status: .running, startedAt: UTCTimestamp.iso8601(Date()),
            mock: request.mockProviders, maxConcurrency: maxConcurrency, steps: [], blocks: [],
            totals: RunManifest.Totals(
                steps: 0, statuses: [:], requests: 0, inputTokens: 0, outputTokens: 0, costUSD: 0),
            inputFiles: setup.inputs.fromFiles.isEmpty ? nil : setup.inputs.fromFiles)
        return try assemble(
            request, setup: setup, manifest: manifest, directory: directory, log: log, lock: lock, resume: nil,
            clock: runClock, observer: observer)
    }

    /// Continues the run in `prior`'s directory: the same inputs (from run.json), the
    /// workflow in `request` (which must hash as recorded unless `options.force`), steps
    /// that succeeded reused when their request is unchanged, the rest run again (see
    /// `ResumePlan`). `request.inputs`, `inputFiles` and `outputRoot` are not used.
    public static func resume(
        _ request: RunRequest, from prior: PriorRun, options: ResumeOptions,
        clock: any Clock<Duration> = ContinuousClock(), observer: (any RunObserver)? = nil
    ) throws(RunSetupError) -> WorkflowRun {
        let earlier = prior.manifest
        let fromFiles = Set(earlier.inputFiles ?? [])
        let runClock = RunClock(clock)
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
                    startedAt: UTCTimestamp.iso8601(Date()), onlyFailed: options.onlyFailed,
                    forced: setup.sha256 != earlier.workflow.sha256)
            ]
        let plan = ResumePlan(prior: prior, onlyFailed: options.onlyFailed, workflow: request.workflow)
        return try assemble(
            request, setup: setup, manifest: manifest, directory: directory, log: log, lock: lock, resume: plan,
            clock: runClock, observer: observer)
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

    private static func assemble(
        _ request: RunRequest, setup: Setup, manifest: RunManifest, directory: RunDirectory, log: EventLog,
        lock: RunLock, resume: ResumePlan?, clock runClock: RunClock, observer: (any RunObserver)?
    ) throws(RunSetupError) -> WorkflowRun {
        let workflow = request.workflow
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
            expander: setup.expander, clock: runClock,
            runLimit: manifest.maxConcurrency.map { AsyncSemaphore(permits: $0) },
            networkLimit: registry.usesNetwork
                ? request.networkConcurrencyCeiling.map { AsyncSemaphore(permits: $0) } : nil)
        executor.resume = resume
        register(workflow.steps, in: journal, executor: executor, block: nil)
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

    /// Records the run as interrupted and writes run.json and the event log now, from any
    /// thread: for a second SIGINT, just before the process exits.
    public func recordInterruption() {
        journal.updateRun { manifest in
            manifest.status = .interrupted
            manifest.error = "interrupted"
            manifest.endedAt = UTCTimestamp.iso8601(Date())
        }
        _ = try? journal.write(force: true)
        events.emit(.runFinished, status: RunStatus.interrupted.rawValue, error: "interrupted")
        log.flush()
    }

    private func runSteps() async -> NodeOutcome {
        let root = ExecutionScope(parent: nil)
        guard let timeout = workflow.timeout else {
            return await executor.runList(workflow.steps, scope: root, after: nil)
        }
        // The run's deadline is a sibling of the steps: when it fires, the root scope
        // records why, so whatever was running ends `timed_out` rather than `cancelled`.
        enum Ending: Sendable {
            case steps(NodeOutcome)
            case deadline
            case deadlineCancelled
        }
        return await withTaskGroup(of: Ending.self) { [executor, workflow, clock] group in
            group.addTask { .steps(await executor.runList(workflow.steps, scope: root, after: nil)) }
            group.addTask {
                do { try await clock.sleep(for: timeout) } catch { return .deadlineCancelled }
                root.cancel(because: .timedOut)
                return .deadline
            }
            var outcome = NodeOutcome(status: .cancelled, chain: nil)
            var timedOut = false
            while let ending = await group.next() {
                switch ending {
                case .steps(let steps): outcome = steps
                case .deadline: timedOut = true
                case .deadlineCancelled: break
                }
                group.cancelAll()
            }
            return timedOut ? NodeOutcome(status: .timedOut, chain: outcome.chain) : outcome
        }
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
            let text = executor.renderer.text(of: outputID)
            do {
                try AtomicFile.write(text, to: directory.resultPath)
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
            manifest.endedAt = UTCTimestamp.iso8601(Date())
            manifest.durationSeconds = (((resumption?.earlierDuration ?? 0) + wall.seconds) * 1000).rounded() / 1000
            manifest.result = resultPath == nil ? nil : "result.md"
            manifest.criticalPath = criticalPath.map {
                RunManifest.CriticalPath(seconds: $0.total.roundedSeconds, steps: $0.stepIDs)
            }
        }
        var writeError: String?
        do { try journal.write(force: true) } catch { writeError = error.message }
        events.emit(.runFinished, status: status.rawValue, error: error ?? writeError, duration: wall)
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
            resultPath: resultPath,
            resumed: resumption.map { resumption in
                let before = snapshot.steps.reduce(0) { $0 + (resumption.plan.prior.attemptsSeen[$1.id] ?? 0) }
                return ResumeCounts(
                    reusedSteps: resumption.plan.reused.count, requests: snapshot.totals.requests - before)
            })
    }

    /// The step whose answer becomes result.md: `output:`, else the last top-level item
    /// when it is a plain step.
    private static func outputStepID(of workflow: Workflow) -> String? {
        if let output = workflow.output { return output.value }
        if case .step(let step)? = workflow.steps.last { return step.id }
        return nil
    }

    /// Why the run failed, from the first top-level item that did not succeed, down to
    /// the step or block that decided it (a failure a block absorbed is not the cause).
    private func failureReason(in nodes: [StepNode], manifest: RunManifest) -> String? {
        guard let node = nodes.first(where: { executor.board.settlement(of: $0.id)?.status != .succeeded }) else {
            return nil
        }
        let status = executor.board.settlement(of: node.id)?.status ?? .pending
        switch node {
        case .step(let step):
            let error = manifest.steps.first { $0.id == step.id }?.error
            return "step '\(step.id)' \(status.pastTense)" + (error.map { ": \($0)" } ?? "")
        case .sequence(let lane):
            return failureReason(in: lane.steps, manifest: manifest)
        case .parallel, .map:
            var reason = "block '\(node.id)' \(status.pastTense)"
            if let summary = manifest.blocks.first(where: { $0.id == node.id })?.error { reason += ": \(summary)" }
            let others = executor.renderer.failed(of: node.id)
            if others != "none" {
                let ids = others.split(separator: ",")
                reason +=
                    "; not succeeded: " + (ids.count > 8 ? ids.prefix(8).joined(separator: ",") + ", ..." : others)
            }
            return reason
        }
    }

    private static func absolute(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : directory + "/" + path
    }

    /// Registers every statically known step and block in declaration order, so run.json
    /// lists the whole run from the start; map branches join when their map expands.
    private static func register(_ nodes: [StepNode], in journal: RunJournal, executor: NodeExecutor, block: String?) {
        for node in nodes {
            switch node {
            case .step(let step):
                let settings = StepSettings(step: step, workflow: executor.workflow)
                journal.registerStep(
                    step.id, block: block, provider: settings.providerName,
                    model: executor.modelName(settings: settings))
            case .sequence(let lane):
                journal.registerBlock(lane.id, kind: "sequence", branches: lane.steps.count, required: lane.steps.count)
                register(lane.steps, in: journal, executor: executor, block: lane.id)
            case .parallel(let parallel):
                journal.registerBlock(
                    parallel.id, kind: "parallel", branches: parallel.width,
                    required: parallel.policy.minSuccess.required(of: parallel.width))
                switch parallel.branches {
                case .steps(let children):
                    register(children, in: journal, executor: executor, block: parallel.id)
                case .repeat(let count, let step):
                    let settings = StepSettings(step: step, workflow: executor.workflow)
                    for index in 0..<count {
                        journal.registerStep(
                            "\(parallel.id).\(index)", block: parallel.id, provider: settings.providerName,
                            model: executor.modelName(settings: settings))
                    }
                }
            case .map(let map):
                journal.registerBlock(map.id, kind: "map", branches: 0, required: 0)
                journal.registerMap(map.id)
            }
        }
    }

    /// The files every map will read, checked before anything is sent, so a `lines:` file
    /// that is a FIFO, too large, or outside the folder costs no request. Maps check them
    /// again when they expand.
    private static func checkMapFiles(in nodes: [StepNode], with expander: MapExpander) throws(RunSetupError) {
        for node in nodes {
            switch node {
            case .step: continue
            case .sequence(let lane): try checkMapFiles(in: lane.steps, with: expander)
            case .parallel(let block):
                if case .steps(let children) = block.branches { try checkMapFiles(in: children, with: expander) }
            case .map(let map):
                do { try expander.check(map.source.value) } catch { throw RunSetupError(error.message) }
            }
        }
    }

    /// Every provider some step will call.
    static func usedProviders(in workflow: Workflow) -> Set<String> {
        var names: Set<String> = []
        func visit(_ nodes: [StepNode]) {
            for node in nodes {
                switch node {
                case .step(let step): names.insert(StepSettings(step: step, workflow: workflow).providerName)
                case .sequence(let lane): visit(lane.steps)
                case .parallel(let block):
                    switch block.branches {
                    case .steps(let children): visit(children)
                    case .repeat(_, let step): names.insert(StepSettings(step: step, workflow: workflow).providerName)
                    }
                case .map(let map): names.insert(StepSettings(step: map.step, workflow: workflow).providerName)
                }
            }
        }
        visit(workflow.steps)
        return names
    }
}
