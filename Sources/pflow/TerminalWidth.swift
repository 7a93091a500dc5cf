import Foundation

/// Columns of the terminal on stdout: the kernel's answer, else `$COLUMNS`, else 80.
/// Under some ptys TIOCGWINSZ succeeds with 0 columns (docs/architecture.md,
/// "Platform facts"), so 0 counts as unknown.
enum TerminalWidth {
    static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let columns = environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        return 80
    }
}
