import ArgumentParser

/// The command line: parses arguments and renders; the work happens in PFlowSpec and
/// PFlowEngine.
@main
struct PFlow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pflow",
        abstract: "Run declarative parallel LLM workflows as fast as their critical path allows.",
        version: "0.1.0",
        subcommands: [
            ValidateCommand.self, PlanCommand.self, RunCommand.self, ResumeCommand.self, ReportCommand.self,
            ShowCommand.self,
            RunsCommand.self, ExportCommand.self,
        ]
    )

    /// ArgumentParser's own entry point, except that an invalid command line exits 2 as
    /// the contract says (docs/cli.md), not 64 (EX_USAGE).
    static func main() async {
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            StandardError.write(fullMessage(for: error) + "\n")
            exit(withError: ExitCode(ExitStatus.invalid))
        }
    }
}

/// Exit codes are part of the contract (docs/cli.md).
enum ExitStatus {
    static let succeeded: Int32 = 0
    static let runFailed: Int32 = 1
    static let invalid: Int32 = 2
    static let interrupted: Int32 = 130
}
