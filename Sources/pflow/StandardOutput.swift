import Foundation
import PFlowEngine

/// Writing to standard output unbuffered, so progress lines appear as they happen even
/// when stdout is a pipe, and never interleave with a half-flushed `print`.
///
/// Errors are ignored: when the reader went away (`pflow run --json | head`) the run must
/// still finish and write its run directory. `pflow run` ignores SIGPIPE for the same reason.
enum StandardOutput {
    static func write(_ text: String) {
        var text = text
        _ = text.withUTF8 { FileDescriptor.writeAll(UnsafeRawBufferPointer($0), to: STDOUT_FILENO) }
    }
}
