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
    func runStep(
        _ step: StepSpec, scope: ExecutionScope, item: TemplateRenderer.ItemScope?, after entry: ChainLink?
    ) async -> NodeOutcome {
        let id = step.id
        let settings = StepSettings(step: step, workflow: workflow)
        guard let provider = registry.entry(named: settings.providerName) else {
            let reason = "unknown provider '\(settings.providerName)'"
            settleUnrunStep(id, status: .failed, reason: reason)
            return NodeOutcome(status: .failed, chain: entry)
        }
        let model = modelName(settings: settings)
        var rendered: RenderedRequest?
        if let resume {
            if let kept = resume.keptStatus(of: id) {
                return settleFromPrior(id, status: kept, resume: resume, after: entry)
            }
            if resume.succeeded(id) {
                rendered = try? render(
                    step, settings: settings, item: item, provider: settings.providerName, model: model)
                if let rendered, let (text, earlier) = resume.reusable(id, requestHash: rendered.hash) {
                    return reuse(id, text: text, record: earlier, after: entry)
                }
            }
        }
        let stepStart = clock.now()
        let stepStartDate = clock.date()
        journal.updateStep(id) { entry in
            entry.status = .running
            entry.startedAt = UTCTimestamp.iso8601(stepStartDate)
        }
        events.emit(.stepStarted, step: id)

        var record = StepRecord(
            id: id, status: .running, provider: provider.spec.name, providerKind: provider.spec.kind.rawValue,
            model: model, maxTokens: settings.maxTokens, temperature: settings.temperature,
            timeoutSeconds: settings.timeout.seconds, attempts: [], inputTokens: 0, outputTokens: 0, costUSD: 0,
            startedAt: UTCTimestamp.iso8601(stepStartDate))
        if let rendered { record.adopt(rendered) }
        let attemptsBefore = resume?.attemptsBefore(id) ?? 0
        if let resume { record.attempts = resume.earlierAttempts(id) }
        var status = NodeStatus.failed
        var response: CompletionResponse?
        var delay = Duration.zero
        let retryPolicy = RetryPolicy(settings: settings)
        let answerFormat = Self.answerFormat(of: step)
        var repairsLeft = answerFormat == .text ? 0 : (step.repair ?? Self.defaultRepairs)
        var turns: [ConversationTurn] = []
        var value: JSONValue?
        var attemptInSession = 0
        var repairing = false

        attempts: while true {
            attemptInSession += 1
            let attempt = attemptsBefore + attemptInSession
            if attemptInSession > 1 && !repairing {
                do { try await clock.sleep(for: delay) } catch {
                    status = scope.cancelledStatus
                    break attempts
                }
            }
            let held: [AsyncSemaphore]
            do { held = try await acquireSlots(scope: scope, provider: provider) } catch {
                status = scope.cancelledStatus
                break attempts
            }
            if record.prompt == nil {
                do {
                    record.adopt(
                        try render(step, settings: settings, item: item, provider: settings.providerName, model: model))
                } catch {
                    release(held)
                    record.error = StepRecord.Failure(kind: "template", message: error.message, retryable: false)
                    status = .failed
                    break attempts
                }
            }
            var request = CompletionRequest(
                model: model, system: record.system, prompt: record.prompt ?? "", settings: settings, stepID: id,
                attempt: attempt)
            request.answerFormat = answerFormat
            request.turns = turns
            let repairSent = repairing ? turns.last?.text : nil
            let worstCase = BudgetCharge(worstCaseOf: request, price: provider.spec.price)
            let reservation: BudgetLedger.Reservation?
            let admission: Result<BudgetLedger.Reservation?, BudgetLedger.Refusal>
            do { admission = try await reserveBudget(worstCase, scope: scope) } catch {
                release(held)
                status = scope.cancelledStatus
                break attempts
            }
            switch admission {
            case .success(let reserved):
                reservation = reserved
            case .failure(let refusal):
                release(held)
                record.error = StepRecord.Failure(
                    kind: ProviderError.Kind.budgetExceeded.rawValue, message: refusal.message, retryable: false)
                status = .failed
                break attempts
            }
            let rateStart = clock.now()
            do {
                try await provider.rateLimiter.acquire(tokens: worstCase.tokens)
                try Task.checkCancellation()
            } catch {
                settleBudget(reservation, usage: nil, price: provider.spec.price)
                release(held)
                status = scope.cancelledStatus
                break attempts
            }
            // For the attempt's record: how long the provider's rate held it.
            let rateLimitWait = clock.now() - rateStart
            let span = "\(id)#\(attempt)"
            let attemptStart = clock.now()
            let attemptStartDate = clock.date()
            events.emit(.attemptStarted, step: id, span: span, attempt: attempt)
            let result = await attemptOnce(request, provider: provider.provider, timeout: settings.timeout)
            release(held)

            var failure: ProviderError?
            var attemptStatus: NodeStatus
            switch result {
            case .success(let answer):
                switch Self.check(answer, format: answerFormat) {
                case .success(let parsed):
                    attemptStatus = .succeeded
                    response = answer
                    value = parsed
                case .failure(let invalid):
                    attemptStatus = .failed
                    failure = invalid
                    turns += [
                        ConversationTurn(.assistant, answer.text),
                        ConversationTurn(.user, StructuredAnswer.repairRequest(after: invalid)),
                    ]
                }
            case .failure(let error):
                attemptStatus = .failed
                failure = error
            case .deadlinePassed:
                attemptStatus = .timedOut
                failure = ProviderError(.timeout, "no answer within \(Self.format(settings.timeout))")
            case .cancelled:
                attemptStatus = scope.cancelledStatus
                failure = ProviderError(.cancelled, "the request was cancelled")
            }
            let attemptDuration = clock.now() - attemptStart
            // A failed answer (empty, cut off) was still billed.
            let usage = response?.usage ?? failure?.usage
            settleBudget(
                reservation, usage: usage, price: provider.spec.price,
                unanswered: result.wasUnanswered)
            provider.rateLimiter.observe(response: response, failure: failure, reserved: worstCase.tokens)
            record.attempts.append(
                StepRecord.Attempt(
                    number: attempt, span: span, status: attemptStatus, delayBeforeSeconds: delay.roundedSeconds,
                    startedAt: UTCTimestamp.iso8601(attemptStartDate), endedAt: UTCTimestamp.iso8601(clock.date()),
                    durationSeconds: attemptDuration.roundedSeconds,
                    httpStatus: response?.httpStatus ?? failure?.httpStatus,
                    error: failure.map(Self.recordFailure), inputTokens: usage?.inputTokens,
                    outputTokens: usage?.outputTokens, reasoningTokens: usage?.reasoningTokens,
                    finishReason: (response?.finishReason ?? failure?.finishReason)?.raw,
                    rateLimitWaitSeconds: rateLimitWait.roundedSeconds > 0 ? rateLimitWait.roundedSeconds : nil,
                    repair: repairSent))
            record.error = failure.map(Self.recordFailure)
            journal.updateStep(id) { $0.attempts = attempt }
            events.emit(
                .attemptFinished, step: id, span: span, attempt: attempt, status: .node(attemptStatus),
                error: failure?.description, errorKind: failure?.kind, usage: usage, duration: attemptDuration)

            let failed: RetryPolicy.Failure
            repairing = false
            switch result {
            case .success where failure == nil:
                status = .succeeded
                break attempts
            case .success:
                guard repairsLeft > 0 else {
                    status = .failed
                    break attempts
                }
                repairsLeft -= 1
                record.repairs = (record.repairs ?? 0) + 1
                repairing = true
                continue attempts
            case .cancelled:
                status = attemptStatus
                break attempts
            case .deadlinePassed: failed = .timedOut
            case .failure(let error): failed = .error(error)
            }
            let retryAttempt = attemptInSession - (record.repairs ?? 0)
            switch retryPolicy.decide(after: failed, attempt: retryAttempt, unitRandom: jitter) {
            case .retry(let after):
                status = attemptStatus
                delay = after
            case .stop(let final, let reason):
                status = final
                if let reason, let error = record.error {
                    record.error = StepRecord.Failure(
                        kind: error.kind, message: "\(error.message); \(reason)", retryable: false)
                }
                break attempts
            }
        }

        if status == .succeeded { record.value = value }
        return finishStep(
            id: id, record: record, status: status, response: response, provider: provider.spec,
            started: stepStart, after: entry)
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
