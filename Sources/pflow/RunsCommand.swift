import ArgumentParser
import Foundation
import PFlowEngine

/// `pflow runs`: the runs under the output folder, newest first.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs under the output folder, newest first.",
        discussion: "Reads every <out>/<name>/<run id>/run.json. Exit code 0."
    )

    @Option(name: .customLong("out"), help: "The folder run directories are in.")
    var outputRoot: String = "runs"

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    func run() throws {
        let listings = RunListing.list(root: outputRoot)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            StandardOutput.write(String(decoding: try encoder.encode(listings), as: UTF8.self) + "\n")
            return
        }
        guard !listings.isEmpty else {
            StandardOutput.write("no runs in \(outputRoot)\n")
            return
        }
        let rows =
            [["NAME", "ID", "STATUS", "STARTED", "WALL", "REQUESTS", "COST"]]
            + listings.map { run in
                [
                    run.name, run.id, run.status.rawValue, run.startedAt,
                    run.durationSeconds.map { RunSummaryText.seconds(.milliseconds(Int64($0 * 1000))) } ?? "-",
                    String(run.requests), String(format: "$%.4f", run.costUSD),
                ]
            }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { column, cell in
                cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            StandardOutput.write(cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n")
        }
    }
}
