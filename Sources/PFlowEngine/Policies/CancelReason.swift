/// Why a block (or the run) cancelled what it still had running; decides the status the
/// cancelled steps end with.
enum CancelReason: Sendable, Hashable {
    /// min_success can no longer be met.
    case blockFailed
    /// min_success was met and `stragglers: cancel` stops the rest.
    case stragglers
    /// The block's or the run's deadline passed.
    case timedOut
    /// SIGINT, SIGTERM or the caller cancelled the run.
    case interrupted

    var cancelledStatus: NodeStatus {
        switch self {
        case .timedOut: .timedOut
        case .blockFailed, .stragglers, .interrupted: .cancelled
        }
    }
}
