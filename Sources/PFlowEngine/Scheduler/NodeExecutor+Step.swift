import Foundation
import PFlowSpec

extension NodeExecutor {
    private enum AttemptResult: Sendable {
        case success(CompletionResponse)
        case failure(ProviderError)
        case deadlinePassed
        case cancelled

        /// Sent, but ended before any answer came.
        var wasUnanswered: Bool {
            switch self {
            case .deadlinePassed, .cancelled: true
            case .success, .failure: false
            }
        }
    }

    /// The model name a step's requests carry.
    func modelName(settings: StepSettings) -> String {
        settings.model ?? registry.entry(named: settings.providerName)?.spec.model ?? "mock"
    }

    /// Runs one step: renders its prompt, makes attempts under the limits, applies
    /// timeouts, retries and `on_timeout`, and writes its files before it settles, so that
    /// steps/<id>.md exists before anything downstream starts.
    ///
    /// The work between awaits is in synchronous methods and the step's state in a
    /// `StepRun` on the heap: an async function keeps every local that lives across an
    /// await in a context allocated for its task, and with all of it inline a branch held
    /// 24 KB while it ran or waited for a slot (10,000 branches in flight: 375 MB).
    func runStep(
        _ step: StepSpec, scope: ExecutionScope, item: TemplateRenderer.ItemScope?, after entry: ChainLink?
    ) async -> NodeOutcome {
        let run: StepRun
        switch begin(step, item: item, after: entry) {
        case .settled(let outcome): return outcome
        case .started(let started): run = started
        }
        while await attempt(run, scope: scope) {}
        if run.status == .succeeded { run.record.value = run.value }
        return finishStep(
            id: step.id, record: run.record, status: run.status, response: run.response, provider: run.provider.spec,
            started: run.started, after: entry)
    }

    private enum StepStart {
        case settled(NodeOutcome)
        case started(StepRun)
    }

    /// Settles a step that needs no request (unknown provider, kept or reused by a resume),
    /// or marks it running and opens its record.
    private func begin(_ step: StepSpec, item: TemplateRenderer.ItemScope?, after entry: ChainLink?) -> StepStart {
        let id = step.id
        let settings = StepSettings(step: step, workflow: workflow)
        guard let provider = registry.entry(named: settings.providerName) else {
            settleUnrunStep(id, status: .failed, reason: "unknown provider '\(settings.providerName)'")
            return .settled(NodeOutcome(status: .failed, chain: entry))
        }
        let model = modelName(settings: settings)
        var rendered: RenderedRequest?
        if let resume {
            if let kept = resume.keptStatus(of: id) {
                return .settled(settleFromPrior(id, status: kept, resume: resume, after: entry))
            }
            if resume.succeeded(id) {
                rendered = try? render(
                    step, settings: settings, item: item, provider: settings.providerName, model: model)
                if let rendered, let (text, earlier) = resume.reusable(id, requestHash: rendered.hash) {
                    return .settled(reuse(id, text: text, record: earlier, after: entry))
                }
            }
        }
        let started = clock.now()
        let startedDate = clock.date()
        journal.updateStep(id) { entry in
            entry.status = .running
            entry.startedAt = UTCTimestamp.iso8601(startedDate)
        }
        events.emit(.stepStarted, step: id)

        var record = StepRecord(
            id: id, status: .running, provider: provider.spec.name, providerKind: provider.spec.kind.rawValue,
            model: model, maxTokens: settings.maxTokens, temperature: settings.temperature,
            timeoutSeconds: settings.timeout.seconds, attempts: [], inputTokens: 0, outputTokens: 0, costUSD: 0,
            startedAt: UTCTimestamp.iso8601(startedDate))
        if let rendered { record.adopt(rendered) }
        if let resume { record.attempts = resume.earlierAttempts(id) }
        return .started(
            StepRun(
                step: step, settings: settings, provider: provider, model: model, item: item, started: started,
                attemptsBefore: resume?.attemptsBefore(id) ?? 0, record: record))
    }

    /// One attempt: its backoff, its slots, its budget and rate, the request, and what came
    /// back. Returns whether to make another.
    private func attempt(_ run: StepRun, scope: ExecutionScope) async -> Bool {
        run.attemptInSession += 1
        if run.attemptInSession > 1 && !run.repairing {
            do { try await clock.sleep(for: run.delay) } catch { return run.stop(scope.cancelledStatus) }
        }
        let held: [AsyncSemaphore]
        do { held = try await acquireSlots(scope: scope, provider: run.provider) } catch {
            return run.stop(scope.cancelledStatus)
        }
        guard var pending = prepareAttempt(run) else {
            release(held)
            return false
        }
        let budgetStart = clock.now()
        guard await admit(&pending, in: run, scope: scope) else {
            release(held)
            return false
        }
        pending.budgetWait = clock.now() - budgetStart
        let rateStart = clock.now()
        do {
            try await run.provider.rateLimiter.acquire(tokens: pending.worstCase.tokens)
            try Task.checkCancellation()
        } catch {
            settleBudget(pending.reservation, usage: nil, price: run.provider.spec.price)
            release(held)
            return run.stop(scope.cancelledStatus)
        }
        pending.rateLimitWait = clock.now() - rateStart
        pending.started = clock.now()
        pending.startedDate = clock.date()
        events.emit(.attemptStarted, step: run.step.id, span: pending.span, attempt: pending.request.attempt)
        let result = await attemptOnce(pending.request, provider: run.provider.provider, timeout: run.settings.timeout)
        release(held)
        return recordAttempt(result, of: pending, in: run, scope: scope)
    }

    /// Waits until the budgets hold the attempt's worst case, for its reservation; false
    /// when they refuse it (the step has failed, `budget_exceeded`) or the wait is cancelled.
    private func admit(_ pending: inout PendingAttempt, in run: StepRun, scope: ExecutionScope) async -> Bool {
        let admission: Result<BudgetLedger.Reservation?, BudgetLedger.Refusal>
        do { admission = try await reserveBudget(pending.worstCase, scope: scope) } catch {
            return run.stop(scope.cancelledStatus)
        }
        switch admission {
        case .success(let reservation):
            pending.reservation = reservation
            return true
        case .failure(let refusal):
            run.record.error = StepRecord.Failure(
                kind: ProviderError.Kind.budgetExceeded.rawValue, message: refusal.message, retryable: false)
            return run.stop(.failed)
        }
    }

    /// Renders the prompt (once), builds the request and prices its worst case; nil when
    /// the prompt cannot be rendered and the step has failed.
    private func prepareAttempt(_ run: StepRun) -> PendingAttempt? {
        let id = run.step.id
        if run.record.prompt == nil {
            do {
                run.record.adopt(
                    try render(
                        run.step, settings: run.settings, item: run.item, provider: run.settings.providerName,
                        model: run.model))
            } catch {
                run.record.error = StepRecord.Failure(kind: "template", message: error.message, retryable: false)
                run.status = .failed
                return nil
            }
        }
        let number = run.attemptsBefore + run.attemptInSession
        var request = CompletionRequest(
            model: run.model, system: run.record.system, prompt: run.record.prompt ?? "", settings: run.settings,
            stepID: id, attempt: number)
        request.answerFormat = run.answerFormat
        request.turns = run.turns
        return PendingAttempt(
            request: request, span: "\(id)#\(number)",
            worstCase: BudgetCharge(worstCaseOf: request, price: run.provider.spec.price),
            repairSent: run.repairing ? run.turns.last?.text : nil)
    }

    /// Records what an attempt brought back, settles its budget and rate, and decides
    /// whether to repair, retry or stop. Returns whether to make another attempt.
    private func recordAttempt(
        _ result: AttemptResult, of pending: PendingAttempt, in run: StepRun, scope: ExecutionScope
    ) -> Bool {
        var failure: ProviderError?
        var attemptStatus: NodeStatus
        switch result {
        case .success(let answer):
            switch Self.check(answer, format: run.answerFormat) {
            case .success(let parsed):
                attemptStatus = .succeeded
                run.response = answer
                run.value = parsed
            case .failure(let invalid):
                attemptStatus = .failed
                failure = invalid
                run.turns += [
                    ConversationTurn(.assistant, answer.text),
                    ConversationTurn(.user, StructuredAnswer.repairRequest(after: invalid)),
                ]
            }
        case .failure(let error):
            attemptStatus = .failed
            failure = error
        case .deadlinePassed:
            attemptStatus = .timedOut
            failure = ProviderError(.timeout, "no answer within \(Self.format(run.settings.timeout))")
        case .cancelled:
            attemptStatus = scope.cancelledStatus
            failure = ProviderError(.cancelled, "the request was cancelled")
        }
        let duration = clock.now() - pending.started
        // A failed answer (empty, cut off) was still billed.
        let usage = run.response?.usage ?? failure?.usage
        settleBudget(
            pending.reservation, usage: usage, price: run.provider.spec.price, unanswered: result.wasUnanswered)
        run.provider.rateLimiter.observe(response: run.response, failure: failure, reserved: pending.worstCase.tokens)
        let number = pending.request.attempt
        run.record.attempts.append(
            StepRecord.Attempt(
                number: number, span: pending.span, status: attemptStatus, delayBeforeSeconds: run.delay.roundedSeconds,
                startedAt: UTCTimestamp.iso8601(pending.startedDate), endedAt: UTCTimestamp.iso8601(clock.date()),
                durationSeconds: duration.roundedSeconds,
                httpStatus: run.response?.httpStatus ?? failure?.httpStatus,
                error: failure.map(Self.recordFailure), inputTokens: usage?.inputTokens,
                outputTokens: usage?.outputTokens, reasoningTokens: usage?.reasoningTokens,
                finishReason: (run.response?.finishReason ?? failure?.finishReason)?.raw,
                rateLimitWaitSeconds: pending.rateLimitWait.roundedSeconds > 0
                    ? pending.rateLimitWait.roundedSeconds : nil,
                budgetWaitSeconds: pending.budgetWait.roundedSeconds > 0 ? pending.budgetWait.roundedSeconds : nil,
                repair: pending.repairSent))
        run.record.error = failure.map(Self.recordFailure)
        journal.updateStep(run.step.id) { $0.attempts = number }
        events.emit(
            .attemptFinished, step: run.step.id, span: pending.span, attempt: number, status: .node(attemptStatus),
            error: failure?.description, errorKind: failure?.kind, usage: usage, duration: duration)

        let failed: RetryPolicy.Failure
        run.repairing = false
        switch result {
        case .success where failure == nil:
            return run.stop(.succeeded)
        case .success:
            guard run.repairsLeft > 0 else { return run.stop(.failed) }
            run.repairsLeft -= 1
            run.record.repairs = (run.record.repairs ?? 0) + 1
            run.repairing = true
            return true
        case .cancelled:
            return run.stop(attemptStatus)
        case .deadlinePassed: failed = .timedOut
        case .failure(let error): failed = .error(error)
        }
        let retryAttempt = run.attemptInSession - (run.record.repairs ?? 0)
        switch run.retryPolicy.decide(after: failed, attempt: retryAttempt, unitRandom: jitter) {
        case .retry(let after):
            run.status = attemptStatus
            run.delay = after
            return true
        case .stop(let final, let reason):
            if let reason, let error = run.record.error {
                run.record.error = StepRecord.Failure(
                    kind: error.kind, message: "\(error.message); \(reason)", retryable: false)
            }
            return run.stop(final)
        }
    }

    /// The prompt and system text as this step would send them now, and their hash.
    private func render(
        _ step: StepSpec, settings: StepSettings, item: TemplateRenderer.ItemScope?, provider: String, model: String
    ) throws(TemplateRenderError) -> RenderedRequest {
        var prompt = try renderer.render(step.prompt, item: item)
        if case .json(let schema) = Self.answerFormat(of: step) {
            prompt += "\n\n" + StructuredAnswer.instructions(schema: schema)
        }
        let system = try settings.system.map { template throws(TemplateRenderError) in
            try renderer.render(template, item: item)
        }
        let hash = StepRecord.requestHash(
            provider: provider, model: model, system: system, prompt: prompt, maxTokens: settings.maxTokens,
            temperature: settings.temperature, reasoningEffort: settings.reasoningEffort?.rawValue,
            thinkingBudget: settings.thinkingBudget)
        return RenderedRequest(prompt: prompt, system: system, hash: hash)
    }

    /// A step that succeeded in the earlier session and would ask the same again: its
    /// text is read back, its record and files stay as they are, nothing is sent.
    private func reuse(_ id: String, text: String, record: StepRecord, after entry: ChainLink?) -> NodeOutcome {
        let duration = Duration.milliseconds(Int64(((record.durationSeconds ?? 0) * 1000).rounded()))
        journal.updateStep(id) { step in
            step.status = .succeeded
            step.attempts = max(step.attempts, record.attempts.last?.number ?? 0)
            step.inputTokens = record.inputTokens
            step.outputTokens = record.outputTokens
            step.costUSD = record.costUSD
            step.startedAt = record.startedAt
            step.endedAt = record.endedAt
            step.durationSeconds = record.durationSeconds
            step.error = nil
        }
        let chain = ChainLink(stepID: id, duration: duration, after: entry)
        board.publish(id, Settlement(status: .succeeded, text: keptAnswers.keeps(id) ? text : nil, chain: chain))
        resume?.reused.add()
        events.emit(.stepReused, step: id, status: .node(.succeeded))
        return NodeOutcome(status: .succeeded, chain: chain)
    }

    /// `--only-failed` leaves a step that did not fail as it was: no request, its earlier
    /// status (a step that never finished counts as cancelled).
    private func settleFromPrior(
        _ id: String, status: NodeStatus, resume: ResumePlan, after entry: ChainLink?
    ) -> NodeOutcome {
        let earlier = resume.lastStatus(of: id)
        let reason =
            earlier.isTerminal
            ? "\(earlier.pastTense) in an earlier session; --only-failed leaves it"
            : "had not finished when an earlier session ended; --only-failed leaves it"
        settleUnrunStep(id, status: status, reason: reason)
        return NodeOutcome(status: status, chain: entry)
    }

    /// Writes the step's files, then publishes its settlement: the order is the guarantee
    /// that steps/<id>.md exists before anything downstream starts.
    private func finishStep(
        id: String, record: StepRecord, status: NodeStatus, response: CompletionResponse?, provider: ProviderSpec,
        started: Duration, after entry: ChainLink?
    ) -> NodeOutcome {
        var record = record
        var status = status
        let usage = response?.usage ?? TokenUsage()
        let cost = usage.dollars(at: provider.price)
        record.inputTokens = usage.inputTokens
        record.outputTokens = usage.outputTokens
        record.costUSD = cost
        if status == .succeeded, let response {
            do {
                try AtomicFile.write(response.text, to: directory.outputPath(forStep: id))
                record.output = "steps/\(id).md"
                record.error = nil
            } catch {
                status = .failed
                record.error = StepRecord.Failure(kind: "disk", message: error.message, retryable: false)
            }
        }
        let duration = clock.now() - started
        let endedDate = clock.date()
        record.status = status
        record.endedAt = UTCTimestamp.iso8601(endedDate)
        record.durationSeconds = duration.roundedSeconds
        let recordError = writeRecord(record)

        let errorMessage = status == .succeeded ? nil : (record.error?.message ?? recordError)
        journal.updateStep(id) { entry in
            entry.status = status
            entry.inputTokens = usage.inputTokens
            entry.outputTokens = usage.outputTokens
            entry.costUSD = cost
            entry.endedAt = UTCTimestamp.iso8601(endedDate)
            entry.durationSeconds = duration.roundedSeconds
            entry.error = errorMessage
        }
        let chain = ChainLink(stepID: id, duration: duration, after: entry)
        board.publish(
            id,
            Settlement(
                status: status, text: status == .succeeded && keptAnswers.keeps(id) ? response?.text : nil, chain: chain
            ))
        events.emit(
            .stepFinished, step: id, status: .node(status), error: errorMessage, usage: response?.usage,
            duration: duration, cost: cost)
        return NodeOutcome(status: status, chain: chain)
    }

    /// steps/<id>.json. A failure here is reported in run.json but does not fail the step:
    /// its output, the part that matters, is already safe.
    private func writeRecord(_ record: StepRecord) -> String? {
        do {
            try AtomicFile.write(record.jsonDocument, to: directory.recordPath(forStep: record.id))
            return nil
        } catch {
            return error.message
        }
    }

    private func attemptOnce(
        _ request: CompletionRequest, provider: any LLMProvider, timeout: Duration
    ) async -> AttemptResult {
        let outcome = await withDeadline(timeout, clock: clock) {
            () async -> Result<CompletionResponse, ProviderError> in
            do throws(ProviderError) { return .success(try await provider.complete(request)) } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .deadlinePassed:
            return Task.isCancelled ? .cancelled : .deadlinePassed
        case .finished(.success(let response)):
            return .success(response)
        case .finished(.failure(let error)):
            if error.kind == .cancelled || Task.isCancelled { return .cancelled }
            return .failure(error)
        }
    }

    /// Takes every limit a request must hold, narrowest first: the step's blocks, its
    /// provider, the run, the file-descriptor ceiling (the provider's rate is taken once
    /// the request, and so its tokens, is known). On cancellation whatever was taken is
    /// given back.
    private func acquireSlots(scope: ExecutionScope, provider: ProviderRegistry.Entry) async throws -> [AsyncSemaphore]
    {
        var wanted = scope.limits
        if let limit = provider.concurrency { wanted.append(limit) }
        if let runLimit { wanted.append(runLimit) }
        if provider.usesNetwork, let networkLimit { wanted.append(networkLimit) }
        var held: [AsyncSemaphore] = []
        held.reserveCapacity(wanted.count)
        do {
            for semaphore in wanted {
                try await semaphore.acquire()
                held.append(semaphore)
            }
            try Task.checkCancellation()
        } catch {
            release(held)
            throw error
        }
        return held
    }

    private func release(_ held: [AsyncSemaphore]) {
        for semaphore in held.reversed() { semaphore.release() }
    }

    /// Repairs a JSON step gets when it sets none: one shows most models their mistake.
    static let defaultRepairs = 1

    static func answerFormat(of step: StepSpec) -> AnswerFormat {
        step.format == .json ? .json(step.schema) : .text
    }

    private static func check(_ answer: CompletionResponse, format: AnswerFormat) -> Result<JSONValue?, ProviderError> {
        guard case .json(let schema) = format else { return .success(nil) }
        return StructuredAnswer.check(answer, schema: schema).map { $0 }
    }

    private static func recordFailure(_ error: ProviderError) -> StepRecord.Failure {
        StepRecord.Failure(kind: error.kind.rawValue, message: error.message, retryable: error.isRetryable)
    }

    static func format(_ duration: Duration) -> String {
        let seconds = duration.seconds
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds == seconds.rounded() { return "\(Int(seconds))s" }
        return String(format: "%.1fs", seconds)
    }
}

/// A step's request as rendered for this run, with the hash `pflow resume` compares.
struct RenderedRequest: Sendable {
    var prompt: String
    var system: String?
    var hash: String
}

extension StepRecord {
    fileprivate mutating func adopt(_ rendered: RenderedRequest) {
        prompt = rendered.prompt
        system = rendered.system
        requestSHA256 = rendered.hash
    }
}

/// A step while its attempts are made: the record they build and what decides the next.
/// Lives in one task, the step's.
private final class StepRun {
    let step: StepSpec
    let settings: StepSettings
    let provider: ProviderRegistry.Entry
    let model: String
    let item: TemplateRenderer.ItemScope?
    let started: Duration
    let attemptsBefore: Int
    let retryPolicy: RetryPolicy
    let answerFormat: AnswerFormat
    var record: StepRecord
    var status = NodeStatus.failed
    var response: CompletionResponse?
    var value: JSONValue?
    var turns: [ConversationTurn] = []
    var repairsLeft: Int
    var delay = Duration.zero
    var attemptInSession = 0
    var repairing = false

    init(
        step: StepSpec, settings: StepSettings, provider: ProviderRegistry.Entry, model: String,
        item: TemplateRenderer.ItemScope?, started: Duration, attemptsBefore: Int, record: StepRecord
    ) {
        self.step = step
        self.settings = settings
        self.provider = provider
        self.model = model
        self.item = item
        self.started = started
        self.attemptsBefore = attemptsBefore
        self.record = record
        retryPolicy = RetryPolicy(settings: settings)
        answerFormat = NodeExecutor.answerFormat(of: step)
        repairsLeft = answerFormat == .text ? 0 : (step.repair ?? NodeExecutor.defaultRepairs)
    }

    /// Ends the attempts with `status`; false, for `return run.stop(...)` where the caller
    /// answers whether to make another.
    func stop(_ final: NodeStatus) -> Bool {
        status = final
        return false
    }
}

/// An attempt from the moment its request is built until its answer is recorded.
private struct PendingAttempt {
    var request: CompletionRequest
    var span: String
    var worstCase: BudgetCharge
    /// Held from the budget's admission until the answer settles it.
    var reservation: BudgetLedger.Reservation? = nil
    /// The repair turn this attempt sends, for its record.
    var repairSent: String?
    var budgetWait = Duration.zero
    var rateLimitWait = Duration.zero
    var started = Duration.zero
    var startedDate = Date()
}
