import Foundation
import PFlowSpec

/// The document `pflow validate --format json` prints: flat and stable, so a script or an
/// editor plugin can read it without knowing PFlowSpec's types.
struct ValidationReport: Encodable {
    struct File: Encodable {
        var file: String
        var valid: Bool
        var diagnostics: [Entry]
    }

    struct Entry: Encodable {
        var severity: String
        var message: String
        var file: String
        /// 0 for problems with the file as a whole (missing, unreadable, too large).
        var line: Int
        var column: Int
        var notes: [String]

        init(_ diagnostic: Diagnostic) {
            severity = diagnostic.severity.rawValue
            message = diagnostic.message
            file = diagnostic.location.file
            line = diagnostic.location.line
            column = diagnostic.location.column
            notes = diagnostic.notes
        }
    }

    var files: [File]

    func json() throws -> String {
        try JSONOutput.string(self)
    }
}

/// The one JSON style of the CLI: pretty, keys sorted, slashes left alone.
enum JSONOutput {
    static func string(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
