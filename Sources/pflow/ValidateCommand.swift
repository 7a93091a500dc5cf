import ArgumentParser
import Foundation
import PFlowSpec

/// `pflow validate FILE...`: every diagnostic of every file, and an exit code that says
/// whether all of them can run.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check workflow files and report every problem with file:line:col.",
        discussion: """
            Exits 0 when every file is valid (warnings allowed) and 2 when any has an error.
            Text goes to stderr, except the 'ok:' line of each valid file, which goes to stdout.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    @Argument(help: "Workflow files to check.")
    var files: [String]

    @Option(help: "text (for people) or json (on stdout, for machines).")
    var format: Format = .text

    @Option(help: "Colour the diagnostics: auto (a terminal without NO_COLOR), always or never.")
    var color: ColorMode = .auto

    @Flag(help: "Let map globs and lines files reach outside the workflow's folder (.., absolute paths, symlinks).")
    var allowOutside = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one workflow file") }
    }

    func run() throws {
        let results = files.map { WorkflowFile.compile($0, options: LoadOptions(allowOutside: allowOutside)) }
        switch format {
        case .text: printText(results)
        case .json: try printJSON(results)
        }
        if results.contains(where: { $0.compilation.diagnostics.hasErrors }) {
            throw ExitCode(ExitStatus.invalid)
        }
    }

    private func printText(_ results: [WorkflowFile]) {
        let printer = DiagnosticPrinter(colors: color.isEnabled(for: STDERR_FILENO))
        var errors = 0
        var warnings = 0
        var filesWithErrors = 0
        for result in results {
            let diagnostics = result.compilation.diagnostics
            let lines = result.source.map(SourceLines.init)
            for diagnostic in diagnostics {
                StandardError.write(printer.render(diagnostic, source: lines) + "\n")
            }
            let fileErrors = diagnostics.count { $0.severity == .error }
            let fileWarnings = diagnostics.count { $0.severity == .warning }
            errors += fileErrors
            warnings += fileWarnings
            if fileErrors > 0 {
                filesWithErrors += 1
            } else {
                print("ok: \(result.path)" + (fileWarnings > 0 ? " (\(plural(fileWarnings, "warning")))" : ""))
            }
        }
        if errors > 0 {
            StandardError.write(
                "\(plural(errors, "error")), \(plural(warnings, "warning")) in \(plural(filesWithErrors, "file"))\n")
        }
    }

    private func printJSON(_ results: [WorkflowFile]) throws {
        let report = ValidationReport(
            files: results.map { result in
                ValidationReport.File(
                    file: result.path, valid: !result.compilation.diagnostics.hasErrors,
                    diagnostics: result.compilation.diagnostics.map(ValidationReport.Entry.init))
            })
        print(try report.json())
    }
}

func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}
