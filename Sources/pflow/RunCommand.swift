import ArgumentParser
import Foundation
import PFlowEngine
import PFlowSpec

/// `pflow run FILE`: compiles the workflow, runs it with live progress, and prints where
/// the run directory and result.md are.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a workflow and write its run directory.",
        discussion: """
            Every step starts the moment what it depends on has settled, as many at once as the
            limits allow. Outputs land in <out>/<name>/<run id>/ as they finish. Exit codes: 0
            succeeded, 1 the run failed, 2 invalid workflow or command line, 130 interrupted.
            """
    )

    @Argument(help: "The workflow file.")
    var file: String

    @Option(name: .customLong("input"), help: "An input value, NAME=VALUE (repeatable).")
    var inputs: [String] = []

    @Option(name: .customLong("input-file"), help: "An input read from a file, NAME=PATH (repeatable).")
    var inputFiles: [String] = []

    @Option(name: .customLong("out"), help: "The folder run directories go in.")
    var outputRoot: String = "runs"

    @OptionGroup var options: ExecutionOptions

    func validate() throws {
        _ = try Self.pairs(inputs, option: "--input", value: "VALUE")
        _ = try Self.pairs(inputFiles, option: "--input-file", value: "PATH")
    }

    func run() async throws {
        let (workflow, workflowFile) = try RunSession.compile(
            file, mock: options.mock, color: options.color, options: options.loadOptions)
        // A closed stdout (`| head`) must not kill the run before run.json is final.
        signal(SIGPIPE, SIG_IGN)
        let fileLimit = OpenFileLimit.raiseToHardLimit()
        let request = RunRequest(
            workflow: workflow, inputs: try Self.pairs(inputs, option: "--input", value: "VALUE"),
            inputFiles: try Self.pairs(inputFiles, option: "--input-file", value: "PATH"), outputRoot: outputRoot,
            maxConcurrency: options.maxConcurrency, mockProviders: options.mock,
            networkConcurrencyCeiling: OpenFileLimit.requestCeiling(forLimit: fileLimit), source: workflowFile.source,
            allowOutside: options.allowOutside)

        let session = options.session
        let (observer, live) = session.observers(for: workflow.workflow)
        let run: WorkflowRun
        do {
            run = try WorkflowRun.prepare(request, observer: observer)
        } catch {
            StandardError.write("error: \(error.message)\n")
            throw ExitCode(ExitStatus.invalid)
        }
        try await session.execute(run, live: live)
    }

    /// `NAME=VALUE` pairs; an empty name, a missing `=` or a name given twice is an error.
    static func pairs(_ arguments: [String], option: String, value: String) throws -> [String: String] {
        var pairs: [String: String] = [:]
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw ValidationError("\(option) takes NAME=\(value), got '\(argument)'")
            }
            let name = String(argument[..<equals])
            guard pairs[name] == nil else { throw ValidationError("\(option) \(name) is given twice") }
            pairs[name] = String(argument[argument.index(after: equals)...])
        }
        return pairs
    }
}
