import ArgumentParser
import Foundation
import PFlowEngine
import PFlowSpec

/// Executes a prepared run with live progress, signals and the final summary: what
/// `pflow run` and `pflow resume` share once their run is prepared.
struct RunSession {
    var json: Bool
    var quiet: Bool
    var otlp: OTLPOptions

    /// Compiles the workflow exactly as `validate` does and prints its diagnostics; any
    /// error exits 2 before anything is sent.
    static func compile(_ file: String, mock: Bool, color: ColorMode, options: LoadOptions) throws
        -> (CompiledWorkflow, WorkflowFile)
    {
        let workflowFile = WorkflowFile.compile(file, options: options)
        let compilation = workflowFile.compilation
        let printer = DiagnosticPrinter(colors: color.isEnabled(for: STDERR_FILENO))
        let lines = workflowFile.source.map(SourceLines.init)
        for diagnostic in compilation.diagnostics where !(mock && diagnostic.code == .apiKeyNotSet) {
            StandardError.write(printer.render(diagnostic, source: lines) + "\n")
        }
        guard let workflow = compilation.compiled else {
            let errors = compilation.diagnostics.count { $0.severity == .error }
            StandardError.write("\(plural(errors, "error")) in \(file); nothing was run\n")
            throw ExitCode(ExitStatus.invalid)
        }
        return (workflow, workflowFile)
    }

    /// The observer for the chosen output, and the live display when stdout is a terminal.
    func observers(for workflow: Workflow) -> (observer: (any RunObserver)?, live: ProgressDisplay?) {
        let live =
            !json && !quiet && isatty(STDOUT_FILENO) == 1
            ? ProgressDisplay(width: TerminalWidth.current(), workflow: workflow) : nil
        if json { return (JSONEventPrinter(), nil) }
        if quiet { return (nil, nil) }
        return (live ?? ProgressLines(), live)
    }

    /// Runs to the end; the first SIGINT or SIGTERM cancels, a second one exits at once.
    /// Throws the exit code the run's status calls for.
    func execute(_ run: WorkflowRun, live: ProgressDisplay?) async throws {
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
        live?.follow(budget: { run.budget })
        let drawing = live.map { display in Task { await display.drawPeriodically() } }
        let summary = await execution.value
        watcher.stop()
        drawing?.cancel()
        await drawing?.value
        live?.finish()

        let (reportPath, blocks) = Self.writeReport(of: summary)
        let text = RunSummaryText(summary: summary, reportPath: reportPath, blocks: blocks).render()
        if json { StandardError.write(text) } else { StandardOutput.write(text) }
        if let destination = otlp.destination { await export(summary, to: destination) }
        switch summary.status {
        case .succeeded: return
        case .failed: throw ExitCode(ExitStatus.runFailed)
        case .interrupted: throw ExitCode(ExitStatus.interrupted)
        case .running: throw ExitCode(ExitStatus.runFailed)
        }
    }
}

extension RunSession {
    /// report.html, written whatever the run's status, and the blocks as run.json ended
    /// them, for the summary. A report that cannot be written is a warning, never a
    /// different exit code.
    static func writeReport(of summary: RunSummary) -> (path: String?, blocks: [RunManifest.BlockEntry]) {
        let report: RunReport
        do { report = try RunReport.load(summary.directory) } catch {
            StandardError.write("warning: no report.html: \(error.message)\n")
            return (nil, [])
        }
        do {
            return (try report.writeHTML(), report.manifest.blocks)
        } catch {
            StandardError.write("warning: no report.html: \(error.message)\n")
            return (nil, report.manifest.blocks)
        }
    }
}

extension RunSession {
    /// `--otlp`: the run's traces, once it has ended; a receiver that refuses them is a
    /// warning, since the run itself is done and on disk.
    func export(_ summary: RunSummary, to destination: String) async {
        do {
            let target = try await OTLPExport.send(
                try RunReport.load(summary.directory, allRecords: true), to: destination,
                includeContent: otlp.includeContent)
            StandardError.write("traces: \(target)\n")
        } catch {
            StandardError.write("warning: traces not exported: \(error.message)\n")
        }
    }
}
