/// Where a step or block stands; the terminal cases are what run.json and the events report.
public enum NodeStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case pending
    case running
    case succeeded
    case failed
    /// Never ran: a dependency did not succeed, or `on_timeout: skip` gave up on it.
    case skipped
    /// Stopped by a policy (fail-fast, stragglers) or an interrupt.
    case cancelled
    /// A deadline passed: the step's last attempt, its block's or the run's.
    case timedOut = "timed_out"

    /// For messages: "needs 'x', which timed out".
    public var pastTense: String {
        switch self {
        case .pending: "has not started"
        case .running: "is still running"
        case .succeeded: "succeeded"
        case .failed: "failed"
        case .skipped: "was skipped"
        case .cancelled: "was cancelled"
        case .timedOut: "timed out"
        }
    }

    public var isTerminal: Bool {
        switch self {
        case .pending, .running: false
        default: true
        }
    }
}
