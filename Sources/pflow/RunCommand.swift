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

    @Option(help: "Requests in flight at once, over the workflow's max_concurrency.")
    var maxConcurrency: Int?

    @Flag(help: "Swap every provider for the offline mock (keeping its limits): no network, no keys.")
    var mock = false

    @Flag(help: "Print the events as JSON lines on stdout instead of the progress display.")
    var json = false

    @Flag(help: "Print only the final summary.")
    var quiet = false

    @Option(help: "Colour the diagnostics: auto (a terminal without NO_COLOR), always or never.")
    var color: ColorMode = .auto

    @Flag(help: "Let map globs and lines files reach outside the workflow's folder (.., absolute paths, symlinks).")
    var allowOutside = false

    func validate() throws {
        if let maxConcurrency, maxConcurrency < 1 { throw ValidationError("--max-concurrency must be at least 1") }
        if json && quiet { throw ValidationError("--json and --quiet cannot be combined") }
        _ = try Self.pairs(inputs, option: "--input", value: "VALUE")
        _ = try Self.pairs(inputFiles, option: "--input-file", value: "PATH")
    }

    func run() async throws {
        let workflowFile = WorkflowFile.compile(file, options: LoadOptions(allowOutside: allowOutside))
        let compilation = workflowFile.compilation
        let printer = DiagnosticPrinter(colors: color.isEnabled(for: STDERR_FILENO))
        let lines = workflowFile.source.map(SourceLines.init)
        for diagnostic in compilation.diagnostics where !(mock && diagnostic.isUnsetKeyWarning) {
            StandardError.write(printer.render(diagnostic, source: lines) + "\n")
        }
        guard compilation.isValid, let workflow = compilation.workflow else {
            let errors = compilation.diagnostics.count { $0.severity == .error }
            StandardError.write("\(plural(errors, "error")) in \(file); nothing was run\n")
            throw ExitCode(ExitStatus.invalid)
        }

        // A closed stdout (`| head`) must not kill the run before run.json is final.
        signal(SIGPIPE, SIG_IGN)
        let fileLimit = OpenFileLimit.raiseToHardLimit()
        let request = RunRequest(
            workflow: workflow, inputs: try Self.pairs(inputs, option: "--input", value: "VALUE"),
            inputFiles: try Self.pairs(inputFiles, option: "--input-file", value: "PATH"), outputRoot: outputRoot,
            maxConcurrency: maxConcurrency, mockProviders: mock,
            networkConcurrencyCeiling: OpenFileLimit.requestCeiling(forLimit: fileLimit), source: workflowFile.source)

        let live = !json && !quiet && isatty(STDOUT_FILENO) == 1 ? ProgressDisplay(width: TerminalWidth.current()) : nil
        let observer: (any RunObserver)?
        if json {
            observer = JSONEventPrinter()
        } else if quiet {
            observer = nil
        } else {
            observer = live ?? ProgressLines()
        }
        let run: WorkflowRun
        do {
            run = try WorkflowRun.prepare(request, observer: observer)
        } catch {
            StandardError.write("error: \(error.message)\n")
            throw ExitCode(ExitStatus.invalid)
        }

        let execution = Task { await run.execute() }
        let watcher = InterruptWatcher(
            first: {
                StandardError.write("\ninterrupted: cancelling the run (press Ctrl-C again to stop at once)\n")
                execution.cancel()
            },
            again: {
                run.recordInterruption()
                Foundation.exit(ExitStatus.interrupted)
            })
        let drawing = live.map { display in Task { await display.drawPeriodically() } }
        let summary = await execution.value
        watcher.stop()
        drawing?.cancel()
        await drawing?.value
        live?.finish()

        let text = RunSummaryText(summary: summary).render()
        if json { StandardError.write(text) } else { StandardOutput.write(text) }
        switch summary.status {
        case .succeeded: return
        case .failed: throw ExitCode(ExitStatus.runFailed)
        case .interrupted: throw ExitCode(ExitStatus.interrupted)
        case .running: throw ExitCode(ExitStatus.runFailed)
        }
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

extension Diagnostic {
    /// `api_key_env` not set: irrelevant when `--mock` sends nothing anywhere.
    fileprivate var isUnsetKeyWarning: Bool {
        severity == .warning && message.contains("is not set")
    }
}
