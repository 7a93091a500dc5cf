import Foundation

/// Columns of the terminal on stdout: the kernel's answer, else `$COLUMNS`, else 80.
/// Under some ptys TIOCGWINSZ succeeds with 0 columns (DESIGN §7), so 0 counts as unknown.
enum TerminalWidth {
    static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let columns = environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        return 80
    }
}

/// Writing to standard output unbuffered, so progress lines appear as they happen even
/// when stdout is a pipe, and never interleave with a half-flushed `print`.
///
/// Errors are ignored: when the reader went away (`pflow run --json | head`) the run must
/// still finish and write its run directory. `pflow run` ignores SIGPIPE for the same reason.
enum StandardOutput {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}
