import PFlowSpec

extension NodeExecutor {
    /// What a block's branches came to when the last started one ended.
    private struct BranchesOutcome: Sendable {
        var tracker: SuccessTracker
        var longest: ChainLink?
        var started: Int
        /// Set the moment `min_success` became impossible, or was met with `stragglers: cancel`.
        var decided: NodeStatus?
    }

    func runParallel(_ block: ParallelSpec, scope: ExecutionScope, after entry: ChainLink?) async -> NodeOutcome {
        let ids = branchIDs(of: block)
        switch block.branches {
        case .steps(let children):
            // Declared branches all start at once: a branch's `needs:` may wait on a sibling
            // declared after it, so none may queue behind another.
            return await runBlock(
                id: block.id, kind: .parallel, ids: ids, policy: block.policy, window: ids.count, scope: scope,
                after: entry
            ) { index, blockScope in
                await run(children[index], scope: blockScope, after: entry)
            }
        case .repeat(_, let step):
            return await runBlock(
                id: block.id, kind: .parallel, ids: ids, policy: block.policy,
                window: branchWindow(for: step, policy: block.policy, scope: scope), scope: scope, after: entry
            ) { index, blockScope in
                var branch = step
                branch.id = ids[index]
                return await runStep(branch, scope: blockScope, item: nil, after: entry)
            }
        }
    }

    func runMap(_ map: MapSpec, scope: ExecutionScope, after entry: ChainLink?) async -> NodeOutcome {
        let items: [MapItem]
        do {
            items = try expander.items(of: map.source.value)
        } catch {
            board.publish(map.id, Settlement(status: .failed, branches: []))
            journal.updateBlock(map.id) { block in
                block.status = .failed
                block.error = error.message
            }
            events.emit(.stepFinished, step: map.id, status: .node(.failed), error: error.message)
            return NodeOutcome(status: .failed, chain: entry)
        }
        let ids = items.indices.map { "\(map.id).\($0)" }
        let settings = StepSettings(step: map.step, workflow: workflow)
        journal.registerMapBranches(
            map.id, ids: ids, provider: settings.providerName, model: modelName(settings: settings))
        events.mapExpanded(map.id, branches: ids)
        return await runBlock(
            id: map.id, kind: .map, ids: ids, policy: map.policy,
            window: branchWindow(for: map.step, policy: map.policy, scope: scope), scope: scope, after: entry
        ) { index, blockScope in
            var branch = map.step
            branch.id = ids[index]
            let item = TemplateRenderer.ItemScope(name: map.itemName, item: items[index])
            return await runStep(branch, scope: blockScope, item: item, after: entry)
        }
    }

    /// How many branches of a map or repeat to keep as tasks. Each branch is one step, so
    /// no more than the tightest limit over it can hold a request at once; twice that keeps
    /// the next ones queued for the slots. Tasks beyond only wait on a semaphore, at about
    /// 15 KB each: a full window of 8,192 held 120 MB behind `max_concurrency: 64`.
    private func branchWindow(for step: StepSpec, policy: BlockPolicy, scope: ExecutionScope) -> Int {
        var capacities = scope.limits.map(\.capacity)
        if let limit = policy.maxConcurrency { capacities.append(limit) }
        if let runLimit { capacities.append(runLimit.capacity) }
        if let provider = registry.entry(named: StepSettings(step: step, workflow: workflow).providerName) {
            if let limit = provider.concurrency { capacities.append(limit.capacity) }
            if provider.usesNetwork, let networkLimit { capacities.append(networkLimit.capacity) }
        }
        guard let tightest = capacities.min() else { return Self.branchWindow }
        return min(Self.branchWindow, 2 * tightest)
    }

    /// Runs a block's branches in a TaskGroup and applies its policy as results arrive:
    /// the moment `min_success` cannot be met the block fails and cancels the rest; with
    /// `stragglers: cancel` it cancels the rest once met; its `timeout` cancels whatever is
    /// unfinished as timed out. At most `window` branches exist as tasks at once.
    private func runBlock(
        id: String, kind: BlockKind, ids: [String], policy: BlockPolicy, window: Int, scope: ExecutionScope,
        after entry: ChainLink?, branch: @escaping @Sendable (Int, ExecutionScope) async -> NodeOutcome
    ) async -> NodeOutcome {
        let blockScope = ExecutionScope(
            parent: scope, limit: policy.maxConcurrency.map { AsyncSemaphore(permits: $0) },
            budget: openBudget(policy.budget, block: id))
        var tracker = SuccessTracker(total: ids.count, policy: policy.minSuccess)
        journal.registerBlock(id, kind: kind, branches: ids.count, required: tracker.required)
        journal.updateBlock(id) { $0.status = .running }

        // The deadline cancels the branches through the scope, recording why: they end
        // `timed_out`, and the block's status is decided below from what had succeeded.
        let (branches, deadlinePassed) = await withDeadline(
            ids.isEmpty ? nil : policy.timeout, clock: clock, onDeadline: { blockScope.cancel(because: .timedOut) }
        ) { [tracker] in
            await Self.runBranches(
                count: ids.count, policy: policy, window: window, scope: blockScope, tracker: tracker, entry: entry,
                branch: branch)
        }
        tracker = branches.tracker
        let longest = branches.longest
        let started = branches.started
        var decided = branches.decided
        if deadlinePassed && decided == nil { decided = tracker.isMet ? .succeeded : .timedOut }

        if started < ids.count {
            let status = blockScope.cancelledStatus
            let reason = decided == .timedOut ? "block '\(id)' timed out" : "block '\(id)' ended before it started"
            for index in started..<ids.count {
                settleUnrunStep(ids[index], status: status, reason: reason)
                tracker.record(status)
            }
        }

        let status: NodeStatus
        if let decided {
            status = decided
        } else if tracker.isMet {
            status = .succeeded
        } else if Task.isCancelled {
            status = scope.cancelledStatus
        } else {
            status = .failed
        }
        let summary = "\(tracker.succeeded) of \(ids.count) succeeded, \(tracker.required) required"
        board.publish(id, Settlement(status: status, branches: ids, chain: longest))
        journal.updateBlock(id) { block in
            block.status = status
            block.succeeded = tracker.succeeded
            if status != .succeeded { block.error = summary }
        }
        return NodeOutcome(status: status, chain: longest)
    }

    /// Runs the branches in a TaskGroup, at most `window` as tasks at once, and applies the
    /// block's policy as each ends: the moment `min_success` cannot be met it cancels the
    /// rest (failed); with `stragglers: cancel` it cancels the rest once met (succeeded).
    /// Once cancelled from outside (a deadline, the run) it starts no more.
    private static func runBranches(
        count: Int, policy: BlockPolicy, window: Int, scope blockScope: ExecutionScope, tracker: SuccessTracker,
        entry: ChainLink?, branch: @escaping @Sendable (Int, ExecutionScope) async -> NodeOutcome
    ) async -> BranchesOutcome {
        var outcome = BranchesOutcome(tracker: tracker, longest: entry, started: 0, decided: nil)
        await withTaskGroup(of: NodeOutcome.self) { group in
            while outcome.started < min(count, max(1, window)) {
                let index = outcome.started
                group.addTask { await branch(index, blockScope) }
                outcome.started += 1
            }
            while let finished = await group.next() {
                outcome.tracker.record(finished.status)
                outcome.longest = ChainLink.longest([outcome.longest, finished.chain])
                if outcome.decided == nil && !Task.isCancelled {
                    if outcome.tracker.isImpossible {
                        outcome.decided = .failed
                        blockScope.cancel(because: .blockFailed)
                        group.cancelAll()
                    } else if outcome.tracker.isMet && policy.stragglers == .cancel && !outcome.tracker.allFinished {
                        outcome.decided = .succeeded
                        blockScope.cancel(because: .stragglers)
                        group.cancelAll()
                    }
                }
                if outcome.decided == nil && !Task.isCancelled && outcome.started < count {
                    let index = outcome.started
                    group.addTask { await branch(index, blockScope) }
                    outcome.started += 1
                }
            }
        }
        return outcome
    }
}
