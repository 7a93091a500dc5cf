import Foundation
import Synchronization

/// Appends request records to a file as JSON lines, in large buffered writes.
///
/// Why buffered: benchmarks push thousands of requests a second through the server; a
/// write per request would make the log, not the server, the bottleneck.
final class MockRequestLogFile: Sendable {
    private struct Buffer {
        var handle: FileHandle
        var pending = Data()
    }

    private static let flushThreshold = 64 * 1024
    private let buffer: Mutex<Buffer>

    init(path: String) throws {
        buffer = Mutex(Buffer(handle: try Self.openForAppending(path)))
    }

    /// Opens `path` for writing at its end, creating it if missing.
    static func openForAppending(_ path: String) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        return handle
    }

    func append(_ record: MockRequestRecord) {
        guard var line = try? JSONEncoder().encode(record) else { return }
        line.append(UInt8(ascii: "\n"))
        buffer.withLock { buffer in
            buffer.pending.append(line)
            if buffer.pending.count >= Self.flushThreshold { Self.write(&buffer) }
        }
    }

    func flush() {
        buffer.withLock { Self.write(&$0) }
    }

    private static func write(_ buffer: inout Buffer) {
        guard !buffer.pending.isEmpty else { return }
        try? buffer.handle.write(contentsOf: buffer.pending)
        buffer.pending.removeAll(keepingCapacity: true)
    }
}
