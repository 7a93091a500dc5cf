import ArgumentParser
import Foundation
import PFlowEngine

/// `pflow show RUN_DIR`: the summary `pflow run` printed when the run ended, read back
/// from run.json, for a finished, failed or interrupted run.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a run's summary: status, wall time, critical path, steps, tokens, cost.",
        discussion: "Exit codes: 0 printed, 2 the run directory is unusable."
    )

    @Argument(help: "The run directory (runs/<name>/<run id>, or runs/<name>/latest).")
    var runDirectory: String

    func run() throws {
        let summary: RunSummary
        let blocks: [RunManifest.BlockEntry]
        do {
            let (directory, manifest) = try RunReport.manifest(at: runDirectory)
            summary = RunSummary(manifest: manifest, directory: directory)
            blocks = manifest.blocks
        } catch {
            StandardError.write("error: \(error.message)\n")
            throw ExitCode(ExitStatus.invalid)
        }
        let report = summary.directory + "/report.html"
        StandardOutput.write(
            RunSummaryText(
                summary: summary, reportPath: FileManager.default.fileExists(atPath: report) ? report : nil,
                blocks: blocks
            ).render())
    }
}
