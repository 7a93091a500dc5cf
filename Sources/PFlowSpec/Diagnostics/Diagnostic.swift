/// One finding about a workflow file: what is wrong, where, and how to fix it.
///
/// Built by `static func` factories in `extension Diagnostic` beside the code that finds
/// the problem, so every message of a kind reads the same.
public struct Diagnostic: Sendable, Hashable, Codable {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error
        case warning
        case note
    }

    /// Names the few findings a client acts on by kind, so none matches message text.
    public enum Code: String, Sendable, Hashable, Codable {
        /// A provider's `api_key_env` names an unset variable: moot when `--mock` sends nothing.
        case apiKeyNotSet
    }

    public var severity: Severity
    public var message: String
    public var location: SourceLocation
    /// Extra lines printed under the message: "did you mean 'x'?", "declared here".
    public var notes: [String]
    public var code: Code?

    public init(
        _ severity: Severity, _ message: String, at location: SourceLocation, notes: [String] = [], code: Code? = nil
    ) {
        self.severity = severity
        self.message = message
        self.location = location
        self.notes = notes
        self.code = code
    }

    public static func error(_ message: String, at location: SourceLocation, notes: [String] = []) -> Diagnostic {
        Diagnostic(.error, message, at: location, notes: notes)
    }

    public static func warning(_ message: String, at location: SourceLocation, notes: [String] = []) -> Diagnostic {
        Diagnostic(.warning, message, at: location, notes: notes)
    }
}

extension Array where Element == Diagnostic {
    public var hasErrors: Bool { contains { $0.severity == .error } }
}
