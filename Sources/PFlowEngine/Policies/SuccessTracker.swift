import PFlowSpec

/// Counts a block's finished branches against its `min_success`, and says the moment the
/// block's outcome is decided: met, or impossible.
struct SuccessTracker: Sendable {
    let total: Int
    let required: Int
    private(set) var succeeded = 0
    private(set) var finished = 0

    init(total: Int, policy: SuccessPolicy) {
        self.total = total
        required = policy.required(of: total)
    }

    mutating func record(_ status: NodeStatus) {
        finished += 1
        if status == .succeeded { succeeded += 1 }
    }

    var isMet: Bool { succeeded >= required }

    /// Even if every unfinished branch succeeded, the block would fall short.
    var isImpossible: Bool { succeeded + (total - finished) < required }

    var allFinished: Bool { finished >= total }
}
