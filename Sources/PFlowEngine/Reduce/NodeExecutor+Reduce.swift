import PFlowSpec

extension NodeExecutor {
    /// Runs a `reduce` step: reads the settled branches of its block, writes steps/<id>.md
    /// (readable) and steps/<id>.json (the result under `value`), then settles. Its block
    /// has settled before, `min_success` applied: a block that failed skips it, as a
    /// failed `needs` does.
    func runReduce(_ reduce: ReduceSpec, after entry: ChainLink?) -> NodeOutcome {
        let id = reduce.id
        let started = clock.now()
        let startedAt = UTCTimestamp.iso8601(clock.date())
        journal.updateStep(id) { step in
            step.status = .running
            step.startedAt = startedAt
        }
        events.emit(.stepStarted, step: id)
        let settlement = board.settlement(of: reduce.over.value)
        let branches = (settlement?.branches ?? settlement?.laneItems ?? []).map { branch in
            let settled = board.settlement(of: branch)
            return Reducer.Branch(
                id: branch, status: settled?.status ?? .pending,
                text: settled?.status == .succeeded ? renderer.text(of: branch) : nil)
        }
        let outcome: Reducer.Outcome
        switch reduce.operation {
        case .vote(let field):
            outcome = Reducer.vote(
                branches, id: id, field: field, minAgreement: reduce.minAgreement, tie: reduce.tie)
        case .collect:
            outcome = Reducer.collect(branches, id: id)
        }
        var status: NodeStatus = outcome.failure == nil ? .succeeded : .failed
        var failure = outcome.failure
        let endedAt = UTCTimestamp.iso8601(clock.date())
        let duration = clock.now() - started
        let record = JSONWriter.document { json in
            json.add("id", id)
            json.add("kind", "reduce")
            json.add("over", reduce.over.value)
            json.add("status", status.rawValue)
            json.add("started_at", startedAt)
            json.add("ended_at", endedAt)
            json.add("error", failure)
            json.addEncoded("value", outcome.value.compactText)
        }
        do {
            try AtomicFile.write(outcome.markdown, to: directory.outputPath(forStep: id))
            try AtomicFile.write(record, to: directory.recordPath(forStep: id))
        } catch {
            status = .failed
            failure = error.message
        }
        journal.updateStep(id) { step in
            step.status = status
            step.endedAt = endedAt
            step.durationSeconds = duration.roundedSeconds
            step.error = failure
        }
        let chain = ChainLink(stepID: id, duration: duration, after: entry)
        let text = status == .succeeded ? outcome.value.compactText : nil
        board.publish(id, Settlement(status: status, text: text, chain: chain))
        events.emit(.stepFinished, step: id, status: .node(status), error: failure, duration: duration)
        return NodeOutcome(status: status, chain: chain)
    }
}
