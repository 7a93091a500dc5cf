/// Time as the engine sees it: sleeping for backoff, deadlines and the mock's latency, and
/// reading a monotonic "now" for event timestamps and durations.
///
/// Wraps any `Clock<Duration>` (ContinuousClock in production) so tests can substitute a
/// clock that records or shortens sleeps, and the engine's policies stay deterministic.
public struct RunClock: Sendable {
    private let sleeper: @Sendable (Duration) async throws -> Void
    private let reader: @Sendable () -> Duration

    public init(_ clock: any Clock<Duration>) {
        self.init(opening: clock)
    }

    private init<C: Clock<Duration>>(opening clock: C) {
        let origin = clock.now
        sleeper = { duration in try await clock.sleep(for: duration) }
        reader = { origin.duration(to: clock.now) }
    }

    public static var continuous: RunClock { RunClock(ContinuousClock()) }

    /// Sleeps, throwing `CancellationError` when the task is cancelled.
    public func sleep(for duration: Duration) async throws {
        guard duration > .zero else {
            try Task.checkCancellation()
            return
        }
        try await sleeper(duration)
    }

    /// Monotonic time since this clock value was made.
    public func now() -> Duration { reader() }
}

extension Duration {
    /// Seconds as a Double, for JSON and display.
    public var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }

    /// Rounded to the millisecond, so JSON files stay readable.
    var roundedSeconds: Double { (seconds * 1000).rounded() / 1000 }
}
