import ArgumentParser
import Foundation
import PFlowEngine

/// `pflow report RUN_DIR`: writes the run's HTML report (what every run writes as
/// report.html when it ends), for a run from before reports existed, or elsewhere with -o.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a run's self-contained HTML report: timeline, critical path, steps.",
        discussion: """
            Reads run.json and steps/ of RUN_DIR and writes one HTML file that needs no network:
            a timeline of every attempt, the critical path, requests in flight, block policies and
            every step with its answer. Exit codes: 0 written, 2 the run directory is unusable or
            the file cannot be written.
            """
    )

    @Argument(help: "The run directory (runs/<name>/<run id>, or runs/<name>/latest).")
    var runDirectory: String

    @Option(name: .shortAndLong, help: "Where to write the report (default: RUN_DIR/report.html).")
    var output: String?

    @Flag(help: "Open the report with xdg-open (or open on macOS) once written.")
    var open = false

    func run() throws {
        let path: String
        do {
            path = try RunReport.load(runDirectory).writeHTML(to: output)
        } catch {
            StandardError.write("error: \(error.message)\n")
            throw ExitCode(ExitStatus.invalid)
        }
        StandardOutput.write(path + "\n")
        if open { Self.open(path) }
    }

    private static func open(_ path: String) {
        #if os(macOS)
            let opener = "/usr/bin/open"
        #else
            let opener =
                (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
                .map { $0 + "/xdg-open" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        #endif
        guard let opener else {
            StandardError.write("warning: no xdg-open to open the report with; open \(path) in a browser\n")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: opener)
        process.arguments = [path]
        do { try process.run() } catch {
            StandardError.write("warning: cannot run \(opener): \(error.localizedDescription)\n")
        }
    }
}
