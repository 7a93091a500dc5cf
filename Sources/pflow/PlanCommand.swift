import ArgumentParser
import Foundation
import PFlowEngine
import PFlowSpec

/// `pflow plan FILE`: what a run would do, worked out without sending a request.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show the levels, critical path, request counts and parallelism of a workflow. Sends nothing.",
        discussion: """
            The workflow is validated first: with any error the diagnostics are printed to stderr
            and the exit code is 2. Map widths are counted now (files matching a glob, lines of a
            file or an input); a map that cannot be counted is shown as 'dynamic'.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
        case mermaid
        case dot
    }

    @Argument(help: "The workflow file.")
    var file: String

    @Option(help: "text, json, mermaid (a flowchart) or dot (Graphviz).")
    var format: Format = .text

    @Option(name: .customLong("input"), help: "An input value, NAME=VALUE; used to count maps over inputs.")
    var inputs: [String] = []

    @Option(help: "Scale the cost and the rate-limit time to this many runs (say, 10× the expected daily load).")
    var runs: Int = 1

    @Option(help: "Colour the diagnostics: auto (a terminal without NO_COLOR), always or never.")
    var color: ColorMode = .auto

    @Flag(help: "Let map globs and lines files reach outside the workflow's folder (.., absolute paths, symlinks).")
    var allowOutside = false

    func validate() throws {
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        for input in inputs where !input.contains("=") || input.hasPrefix("=") {
            throw ValidationError("--input takes NAME=VALUE, got '\(input)'")
        }
    }

    func run() throws {
        var values: [String: String] = [:]
        for input in inputs {
            let parts = input.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            values[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let workflowFile = WorkflowFile.compile(file, options: LoadOptions(allowOutside: allowOutside), inputs: values)
        let compilation = workflowFile.compilation
        let printer = DiagnosticPrinter(colors: color.isEnabled(for: STDERR_FILENO))
        let lines = workflowFile.source.map(SourceLines.init)
        for diagnostic in compilation.diagnostics {
            StandardError.write(printer.render(diagnostic, source: lines) + "\n")
        }
        guard compilation.isValid, let workflow = compilation.workflow, let graph = compilation.graph,
            let widths = workflowFile.mapWidths
        else {
            let errors = compilation.diagnostics.count { $0.severity == .error }
            StandardError.write("\(plural(errors, "error")) in \(file); nothing to plan\n")
            throw ExitCode(ExitStatus.invalid)
        }
        for name in inputs.map({ String($0.prefix { $0 != "=" }) })
        where !workflow.inputs.contains(where: { $0.name == name }) {
            StandardError.write("warning: '\(name)' is not an input of \(file); ignored\n")
        }
        var plan = Plan.make(graph: graph, workflow: workflow, mapWidths: widths.widths)
        plan.cost = CostModel.make(
            graph: graph, workflow: workflow, plan: plan, inputs: values, runs: runs,
            expectedAnswer: Self.expectedAnswer)

        switch format {
        case .text:
            print(PlanTextRenderer(plan: plan, notes: widths.notes).render(), terminator: "")
            if let cost = plan.cost { print(CostTextRenderer(cost: cost).render(), terminator: "") }
        case .json: print(try JSONOutput.string(plan))
        case .mermaid: print(MermaidRenderer(graph: graph, plan: plan).render(), terminator: "")
        case .dot: print(DotRenderer(graph: graph, plan: plan, name: workflow.name).render(), terminator: "")
        }
    }

    /// The mock answers with a known text, asked here of the engine; a real model's answer
    /// is not known.
    static func expectedAnswer(provider: ProviderSpec?, step: StepSpec, settings: StepSettings, prompt: String)
        -> (text: String, tokens: Int)?
    {
        guard provider?.kind ?? .mock == .mock else { return nil }
        let request = CompletionRequest(
            model: settings.model ?? provider?.model ?? "mock", system: nil, prompt: prompt, settings: settings,
            stepID: step.id, attempt: 1)
        return MockProvider.answer(to: request)
    }
}
