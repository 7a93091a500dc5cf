import ArgumentParser
import Foundation

/// `--color auto|always|never`: whether diagnostics are printed with ANSI colours.
enum ColorMode: String, ExpressibleByArgument, CaseIterable {
    case auto
    case always
    case never

    /// Auto colours only a terminal, and not when NO_COLOR is set (no-color.org) or the
    /// terminal says it cannot (TERM=dumb).
    func isEnabled(for descriptor: Int32, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> Bool
    {
        switch self {
        case .always: return true
        case .never: return false
        case .auto:
            if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
            if environment["TERM"] == "dumb" { return false }
            return isatty(descriptor) == 1
        }
    }
}

/// Writing to standard error without going through `print`, which only reaches stdout.
enum StandardError {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
