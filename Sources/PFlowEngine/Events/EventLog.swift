import Foundation
import Synchronization

/// events.jsonl: lines are buffered in memory and written in batches, at least every
/// `flushInterval` and at the end, so ten thousand events cost a few hundred writes
/// instead of ten thousand, and a reader tailing the file still sees each event promptly.
final class EventLog: Sendable {
    static let flushInterval: Duration = .milliseconds(25)

    private let fd: Int32
    private let buffer = Mutex([UInt8]())
    /// Serialises writers so batches reach the file in the order they were taken.
    private let writer = Mutex(())

    /// A new events.jsonl, or with `appending`, the one a resumed run continues.
    init(path: String, appending: Bool = false) throws(RunStoreError) {
        fd = open(path, O_WRONLY | O_CREAT | (appending ? 0 : O_EXCL) | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RunStoreError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    func append(_ line: String) {
        buffer.withLock { bytes in
            bytes.append(contentsOf: line.utf8)
            bytes.append(0x0A)
        }
    }

    /// Writes what is buffered. Errors are swallowed on purpose: losing a log line must not
    /// fail a run whose outputs are safe on disk; run.json still records the outcome.
    func flush() {
        writer.withLock { _ in
            let pending = buffer.withLock { bytes -> [UInt8] in
                let taken = bytes
                bytes.removeAll(keepingCapacity: true)
                return taken
            }
            guard !pending.isEmpty else { return }
            _ = pending.withUnsafeBytes { FileDescriptor.writeAll($0, to: fd) }
        }
    }

    /// Flushes every `flushInterval` until the task is cancelled, then once more.
    func flushPeriodically() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: Self.flushInterval) } catch { break }
            flush()
        }
        flush()
    }
}
