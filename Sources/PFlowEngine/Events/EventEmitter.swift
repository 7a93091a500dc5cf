import Foundation

/// Stamps events with the run's id and monotonic time, appends them to events.jsonl and
/// hands them to the observer.
final class EventEmitter: Sendable {
    let runID: String
    private let clock: RunClock
    private let origin: Duration
    private let log: EventLog?
    private let observer: (any RunObserver)?

    init(runID: String, clock: RunClock, log: EventLog?, observer: (any RunObserver)?) {
        self.runID = runID
        self.clock = clock
        origin = clock.now()
        self.log = log
        self.observer = observer
    }

    /// Monotonic time since the run started.
    func elapsed() -> Duration { clock.now() - origin }

    func emit(
        _ kind: RunEvent.Kind, step: String? = nil, span: String? = nil, attempt: Int? = nil,
        status: RunEvent.Outcome? = nil, error: String? = nil, errorKind: ProviderError.Kind? = nil,
        usage: TokenUsage? = nil, duration: Duration? = nil, cost: Double? = nil
    ) {
        let event = RunEvent(
            kind: kind, elapsed: elapsed(), timestamp: clock.date(), runID: runID, stepID: step, span: span,
            attempt: attempt, status: status, error: error, errorKind: errorKind, usage: usage, duration: duration,
            costUSD: cost)
        log?.append(event.jsonLine)
        observer?.runDidEmit(event)
    }

    func mapExpanded(_ id: String, branches: [String]) {
        observer?.runDidExpandMap(id, branches: branches)
    }

    func flush() { log?.flush() }
}
