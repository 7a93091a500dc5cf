import ArgumentParser
import PFlowEngine

/// `pflow export RUN_DIR --otlp URL|FILE`: a finished run's traces for the OpenTelemetry
/// tools people already run (Jaeger, Tempo, Arize Phoenix, an OTel Collector).
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Send a run's traces over OTLP/HTTP (protobuf), or write them to a file.",
        discussion: """
            One span for the run, each block, each step and each attempt, with the GenAI semantic
            conventions' attributes (gen_ai.operation.name, gen_ai.provider.name,
            gen_ai.request.model, gen_ai.usage.input_tokens and output_tokens) and OpenInference's
            (llm.token_count.*). Prompts and answers only with --otlp-content. Exit codes: 0 sent,
            2 the run directory is unusable or the receiver refused.
            """
    )

    @Argument(help: "The run directory (runs/<name>/<run id>, or runs/<name>/latest).")
    var runDirectory: String

    @OptionGroup var otlp: OTLPOptions

    func validate() throws {
        if otlp.destination == nil { throw ValidationError("--otlp URL|FILE is required") }
    }

    func run() async throws {
        do {
            let report = try RunReport.load(runDirectory, allRecords: true)
            let target = try await OTLPExport.send(
                report, to: otlp.destination ?? "", includeContent: otlp.includeContent)
            StandardOutput.write("traces: \(target)\n")
        } catch {
            StandardError.write("error: \(error.message)\n")
            throw ExitCode(ExitStatus.invalid)
        }
    }
}

/// `--otlp` and `--otlp-content`, for `export`, `run` and `resume`.
struct OTLPOptions: ParsableArguments {
    @Option(
        name: .customLong("otlp"),
        help:
            "Send the run's traces to an OTLP/HTTP endpoint (http[s]://…; /v1/traces is added to a bare host), or write them to FILE."
    )
    var destination: String?

    @Flag(name: .customLong("otlp-content"), help: "Include prompts and answers in the traces.")
    var includeContent = false
}
