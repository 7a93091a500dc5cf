import PFlowSpec

extension NodeExecutor {
    private enum BlockEvent: Sendable {
        case branch(NodeOutcome)
        case deadline
        case deadlineCancelled
    }

    func runParallel(_ block: ParallelSpec, scope: ExecutionScope, after entry: ChainLink?) async -> NodeOutcome {
        let ids = branchIDs(of: block)
        switch block.branches {
        case .steps(let children):
            // Declared branches all start at once: a branch's `needs:` may wait on a sibling
            // declared after it, so none may queue behind another.
            return await runBlock(
                id: block.id, kind: "parallel", ids: ids, policy: block.policy, window: ids.count, scope: scope,
                after: entry
            ) { index, blockScope in
                await run(children[index], scope: blockScope, after: entry)
            }
        case .repeat(_, let step):
            return await runBlock(
                id: block.id, kind: "parallel", ids: ids, policy: block.policy,
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
            events.emit(.stepFinished, step: map.id, status: NodeStatus.failed.rawValue, error: error.message)
            return NodeOutcome(status: .failed, chain: entry)
        }
        let ids = items.indices.map { "\(map.id).\($0)" }
        let settings = StepSettings(step: map.step, workflow: workflow)
        journal.registerMapBranches(
            map.id, ids: ids, provider: settings.providerName, model: modelName(settings: settings))
        events.mapExpanded(map.id, branches: ids)
        return await runBlock(
            id: map.id, kind: "map", ids: ids, policy: map.policy,
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
        id: String, kind: String, ids: [String], policy: BlockPolicy, window: Int, scope: ExecutionScope,
        after entry: ChainLink?, branch: @escaping @Sendable (Int, ExecutionScope) async -> NodeOutcome
    ) async -> NodeOutcome {
        let blockScope = ExecutionScope(parent: scope, limit: policy.maxConcurrency.map { AsyncSemaphore(permits: $0) })
        var tracker = SuccessTracker(total: ids.count, policy: policy.minSuccess)
        journal.registerBlock(id, kind: kind, branches: ids.count, required: tracker.required)
        journal.updateBlock(id) { $0.status = .running }

        var decided: NodeStatus?
        var longest = entry
        var started = 0
        var finished = 0
        let clock = clock
        await withTaskGroup(of: BlockEvent.self) { group in
            while started < min(ids.count, max(1, window)) {
                let index = started
                group.addTask { .branch(await branch(index, blockScope)) }
                started += 1
            }
            if let timeout = policy.timeout, ids.count > 0 {
                group.addTask {
                    do {
                        try await clock.sleep(for: timeout)
                        return .deadline
                    } catch {
                        return .deadlineCancelled
                    }
                }
            }
            while let event = await group.next() {
                switch event {
                case .branch(let outcome):
                    finished += 1
                    tracker.record(outcome.status)
                    longest = ChainLink.longest([longest, outcome.chain])
                    if decided == nil && !Task.isCancelled {
                        if tracker.isImpossible {
                            decided = .failed
                            blockScope.cancel(because: .blockFailed)
                            group.cancelAll()
                        } else if tracker.isMet && policy.stragglers == .cancel && !tracker.allFinished {
                            decided = .succeeded
                            blockScope.cancel(because: .stragglers)
                            group.cancelAll()
                        }
                    }
                    if decided == nil && !Task.isCancelled && started < ids.count {
                        let index = started
                        group.addTask { .branch(await branch(index, blockScope)) }
                        started += 1
                    }
                case .deadline:
                    if decided == nil {
                        decided = tracker.isMet ? .succeeded : .timedOut
                        blockScope.cancel(because: .timedOut)
                        group.cancelAll()
                    }
                case .deadlineCancelled:
                    break
                }
                // Only the deadline sleeper may be left: stop it so the group can end.
                if finished == started && (started == ids.count || decided != nil || Task.isCancelled) {
                    group.cancelAll()
                }
            }
        }

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
}
