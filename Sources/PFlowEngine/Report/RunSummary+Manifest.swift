import Foundation

extension RunSummary {
    /// The summary of a run as its run.json tells it, for `pflow show`: the same fields a
    /// run's final summary prints, for a finished, failed or interrupted run. (What a resume
    /// reused is not recorded per session, so `resumed` stays nil.)
    public init(manifest: RunManifest, directory: RunDirectory) {
        var counts: [NodeStatus: Int] = [:]
        for (name, count) in manifest.totals.statuses {
            if let status = NodeStatus(rawValue: name) { counts[status] = count }
        }
        self.init(
            runID: manifest.run, directory: directory.path, status: manifest.status, error: manifest.error,
            wallTime: .milliseconds(Int64(((manifest.durationSeconds ?? 0) * 1000).rounded())),
            criticalPath: .milliseconds(Int64(((manifest.criticalPath?.seconds ?? 0) * 1000).rounded())),
            criticalPathSteps: manifest.criticalPath?.steps ?? [],
            usage: TokenUsage(inputTokens: manifest.totals.inputTokens, outputTokens: manifest.totals.outputTokens),
            costUSD: manifest.totals.costUSD, requests: manifest.totals.requests, statusCounts: counts,
            resultPath: manifest.result.map { directory.path + "/" + $0 }, resumed: nil)
    }
}

extension RunManifest.BlockEntry {
    /// `min_success` was reached (a sequence needs every step).
    public var policyMet: Bool { succeeded >= required }

    /// `docs: 296 of 300 succeeded, min_success 270 met`, without the id: what the summary
    /// and the report say about a block.
    public var policyOutcome: String {
        kind == .sequence
            ? "\(succeeded) of \(branches) in order"
            : "\(succeeded) of \(branches) succeeded, min_success \(required) \(policyMet ? "met" : "not met")"
    }
}
