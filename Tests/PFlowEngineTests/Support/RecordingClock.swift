import Synchronization

/// The real continuous clock, plus a log of every sleep the engine asked for, so tests
/// assert on the delays chosen rather than on wall time.
struct RecordingClock: Clock {
    typealias Duration = Swift.Duration
    typealias Instant = ContinuousClock.Instant

    final class Log: Sendable {
        private let sleeps = Mutex<[Duration]>([])
        func record(_ duration: Duration) { sleeps.withLock { $0.append(duration) } }
        var all: [Duration] { sleeps.withLock { $0 } }
    }

    let log = Log()
    private let base = ContinuousClock()

    var now: Instant { base.now }
    var minimumResolution: Duration { base.minimumResolution }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        log.record(now.duration(to: deadline))
        try await base.sleep(until: deadline, tolerance: tolerance)
    }
}
