import ArgumentParser

/// The command line: parses arguments and renders; the work happens in PFlowSpec and
/// PFlowEngine.
@main
struct PFlow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pflow",
        abstract: "Run declarative parallel LLM workflows as fast as their critical path allows.",
        version: "0.1.0",
        subcommands: [ValidateCommand.self, PlanCommand.self, RunCommand.self]
    )
}

/// Exit codes are part of the contract (docs/cli.md).
enum ExitStatus {
    static let succeeded: Int32 = 0
    static let runFailed: Int32 = 1
    static let invalid: Int32 = 2
    static let interrupted: Int32 = 130
}
