import ArgumentParser
import PFlowSpec

/// The options `pflow run` and `pflow resume` share: how requests go out and how progress
/// is shown.
struct ExecutionOptions: ParsableArguments {
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

    @OptionGroup var otlp: OTLPOptions

    func validate() throws {
        if let maxConcurrency, maxConcurrency < 1 { throw ValidationError("--max-concurrency must be at least 1") }
        if json && quiet { throw ValidationError("--json and --quiet cannot be combined") }
    }

    var session: RunSession { RunSession(json: json, quiet: quiet, otlp: otlp) }

    var loadOptions: LoadOptions { LoadOptions(allowOutside: allowOutside) }
}
