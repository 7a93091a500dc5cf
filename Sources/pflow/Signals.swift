import Dispatch
import Foundation
import Synchronization

/// SIGINT and SIGTERM during a run: the first cancels it gracefully, a second one exits
/// at once.
///
/// The default handlers are ignored and the signals are read through dispatch sources
/// (docs/architecture.md, "Platform facts"): a handler can then run Swift code, such as
/// cancelling the run's Task, which a C signal handler must not. The sources must stay
/// alive for the whole run.
final class InterruptWatcher: @unchecked Sendable {
    // Dispatch sources are thread-safe; they are only created and cancelled here.
    private let sources: [DispatchSourceSignal]
    private let count = Mutex(0)

    /// `first` runs on the first signal, `again` on every later one.
    init(first: @escaping @Sendable () -> Void, again: @escaping @Sendable () -> Void) {
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            sources.append(source)
        }
        self.sources = sources
        for source in sources {
            // The handler holds its source until `stop` clears it.
            source.setEventHandler { [self, source] in
                // A source coalesces signals that arrive before its handler runs: two quick
                // Ctrl-Cs can be one event with data 2, and must still mean "stop at once".
                let signals = max(1, Int(source.data))
                let before = self.count.withLock { value -> Int in
                    defer { value += signals }
                    return value
                }
                if before == 0 { first() }
                if before + signals > 1 { again() }
            }
            source.resume()
        }
    }

    /// Stops watching once the run has ended. The signals stay ignored: a second one that
    /// arrives after the run has ended (run.json is final by then) must not kill the
    /// process by their default action in the moment before it exits with the run's own
    /// status; restoring the defaults here let it die of SIGINT instead of exiting 130.
    func stop() {
        for source in sources {
            source.setEventHandler(handler: nil)
            source.cancel()
        }
    }
}
