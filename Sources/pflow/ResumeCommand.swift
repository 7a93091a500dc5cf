import ArgumentParser
import Foundation
import PFlowEngine

/// `pflow resume RUN_DIR`: continues an interrupted, failed or killed run in its own
/// directory, sending only what did not succeed.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue a run in its directory, re-running only what did not succeed.",
        discussion: """
            Reloads the workflow from the path in run.json (refused if the file changed, unless
            --force) with the run's inputs, reuses every step that succeeded and would send the
            same request, and runs the rest: failed, timed-out, cancelled, skipped and
            never-started steps (with --only-failed, only failed and timed-out ones and the steps
            they caused to be skipped). Attempts are appended to the same run directory. Exit
            codes: 0 succeeded, 1 the run failed, 2 the run directory, workflow or command line
            is unusable, 130 interrupted.
            """
    )

    @Argument(help: "The run directory (runs/<name>/<run id>, or runs/<name>/latest).")
    var runDirectory: String

    @Flag(help: "Run again only failed and timed-out steps, and the steps skipped because of them.")
    var onlyFailed = false

    @Flag(help: "Resume although the workflow file changed; steps whose request is unchanged are reused.")
    var force = false

    @OptionGroup var options: ExecutionOptions

    func run() async throws {
        let prior: PriorRun
        do {
            prior = try PriorRun.load(runDirectory)
        } catch {
            StandardError.write("error: \(error.message)\n")
            throw ExitCode(ExitStatus.invalid)
        }
        let mockProviders = options.mock || prior.manifest.mock
        let (workflow, workflowFile) = try RunSession.compile(
            prior.manifest.workflow.path, mock: mockProviders, color: options.color, options: options.loadOptions)

        signal(SIGPIPE, SIG_IGN)
        let fileLimit = OpenFileLimit.raiseToHardLimit()
        let request = RunRequest(
            workflow: workflow, maxConcurrency: options.maxConcurrency ?? prior.manifest.maxConcurrency,
            mockProviders: mockProviders,
            networkConcurrencyCeiling: OpenFileLimit.requestCeiling(forLimit: fileLimit), source: workflowFile.source,
            allowOutside: options.allowOutside)

        let session = options.session
        let (observer, live) = session.observers(for: workflow.workflow)
        let run: WorkflowRun
        do {
            run = try WorkflowRun.resume(
                request, from: prior, options: ResumeOptions(force: force, onlyFailed: onlyFailed), observer: observer)
        } catch {
            StandardError.write("error: \(error.message)\n")
            throw ExitCode(ExitStatus.invalid)
        }
        try await session.execute(run, live: live)
    }
}
