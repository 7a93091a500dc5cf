import Foundation

/// One line of events.jsonl: a run, step or attempt starting or finishing.
///
/// `t` is monotonic seconds since the run started (ordering and durations); `ts` is wall
/// time in UTC (correlating with server logs). An attempt's `span` is unique in the run.
public struct RunEvent: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case runStarted = "run_started"
        /// `pflow resume` continues the run; `t` restarts at 0.
        case runResumed = "run_resumed"
        case stepStarted = "step_started"
        case attemptStarted = "attempt_started"
        case attemptFinished = "attempt_finished"
        case stepFinished = "step_finished"
        /// A resumed run reuses the step's earlier output without a request.
        case stepReused = "step_reused"
        case runFinished = "run_finished"
    }

    /// A node's status or the run's, whichever the event is about.
    public enum Outcome: Sendable, Hashable {
        case node(NodeStatus)
        case run(RunStatus)

        /// As events.jsonl and progress lines spell it.
        public var name: String {
            switch self {
            case .node(let status): status.rawValue
            case .run(let status): status.rawValue
            }
        }
    }

    public var kind: Kind
    /// Since the run started, monotonic.
    public var elapsed: Duration
    public var timestamp: Date
    public var runID: String
    public var stepID: String?
    public var span: String?
    public var attempt: Int?
    /// A step's or attempt's or the run's outcome, on the `_finished` events.
    public var status: Outcome?
    public var error: String?
    /// Why an attempt failed, on `attempt_finished`: a 429 is `rate_limited`.
    public var errorKind: ProviderError.Kind?
    public var usage: TokenUsage?
    /// How long the step, attempt or run took, on the `_finished` events.
    public var duration: Duration?
    /// What the step cost at its provider's price, on `step_finished`.
    public var costUSD: Double?

    /// The event as one line of JSON, without the newline.
    public var jsonLine: String {
        JSONWriter.line { line in
            line.add("t", elapsed.roundedSeconds)
            line.add("ts", UTCTimestamp.iso8601(timestamp))
            line.add("run", runID)
            line.add("event", kind.rawValue)
            line.add("step", stepID)
            line.add("span", span)
            line.add("attempt", attempt)
            line.add("status", status?.name)
            line.add("error", error)
            line.add("error_kind", errorKind?.rawValue)
            line.add("input_tokens", usage?.inputTokens)
            line.add("output_tokens", usage?.outputTokens)
            line.add("duration", duration?.roundedSeconds)
            line.add("cost_usd", costUSD)
        }
    }
}

/// Receives every event as it happens, on the task that caused it: keep it cheap.
/// The CLI's live display, its line-per-step output and `--json` are observers.
public protocol RunObserver: Sendable {
    func runDidEmit(_ event: RunEvent)
    /// A map expanded into its branches (`<map>.<index>`), before any of them starts: the
    /// live display's progress bar needs the map's width, which no event carries.
    func runDidExpandMap(_ id: String, branches: [String])
}

extension RunObserver {
    public func runDidExpandMap(_ id: String, branches: [String]) {}
}
