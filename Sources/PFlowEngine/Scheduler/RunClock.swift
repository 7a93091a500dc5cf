import Foundation

/// Time as the engine sees it: sleeping for backoff, deadlines and the mock's latency,
/// reading a monotonic "now" for durations, and the wall-clock date that timestamps in
/// run.json, step records and events carry.
///
/// Wraps any `Clock<Duration>` (ContinuousClock in production) and a source of dates, so
/// tests substitute a clock they advance by hand and a fixed date, and the engine's
/// policies stay deterministic.
public struct RunClock: Sendable {
    private let sleeper: @Sendable (Duration) async throws -> Void
    private let reader: @Sendable () -> Duration
    private let dater: @Sendable () -> Date

    public init(_ clock: any Clock<Duration>, date: @escaping @Sendable () -> Date = { Date() }) {
        self.init(opening: clock, date: date)
    }

    private init<C: Clock<Duration>>(opening clock: C, date: @escaping @Sendable () -> Date) {
        let origin = clock.now
        sleeper = { duration in try await clock.sleep(for: duration) }
        reader = { origin.duration(to: clock.now) }
        dater = date
    }

    /// The wall-clock date, for timestamps people and other logs read.
    public func date() -> Date { dater() }

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
