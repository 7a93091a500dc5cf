import Foundation

/// Writing a whole buffer to a file descriptor: `write(2)` may write less than asked and
/// may be interrupted by a signal (pflow catches SIGINT and SIGTERM), so one call is not
/// enough. Every writer in pflow (files of the run directory, events.jsonl, the terminal)
/// goes through this one loop.
public enum FileDescriptor {
    /// Writes every byte, retrying short writes and EINTR; false on any other error, with
    /// `errno` set by the failing call.
    @discardableResult
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(fd, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            // A 0-byte write of a non-empty buffer makes no progress; treat it as an error
            // rather than spin.
            if written == 0 { return false }
            offset += written
        }
        return true
    }
}
