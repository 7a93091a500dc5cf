import Dispatch
import Foundation
import Synchronization

/// SIGINT and SIGTERM during a run: the first cancels it gracefully, a second one exits
/// at once.
///
/// The default handlers are ignored and the signals are read through dispatch sources
/// (DESIGN §7): a handler can then run Swift code, such as cancelling the run's Task,
/// which a C signal handler must not. The sources must stay alive for the whole run.
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
            source.setEventHandler { [self] in
                let seen = self.count.withLock { value -> Int in
                    value += 1
                    return value
                }
                if seen == 1 { first() } else { again() }
            }
            source.resume()
        }
    }

    /// Gives the signals back to their default handlers.
    func stop() {
        for source in sources {
            source.setEventHandler(handler: nil)
            source.cancel()
        }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
