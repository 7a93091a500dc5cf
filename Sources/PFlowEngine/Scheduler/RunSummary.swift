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
    /// The run's budget as it ended; nil when the run had none.
    public var budget: RunManifest.BudgetState?
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
