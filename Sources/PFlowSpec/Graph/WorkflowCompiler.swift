/// Everything PFlowSpec knows about one workflow file: the model, its graph, and every
/// diagnostic found on the way.
public struct Compilation: Sendable {
    /// Present when decoding got far enough, even when there are errors.
    public var workflow: Workflow?
    /// Present only when the workflow has no errors at all.
    public var graph: WorkflowGraph?
    /// Sorted by location.
    public var diagnostics: [Diagnostic]

    public init(workflow: Workflow?, graph: WorkflowGraph?, diagnostics: [Diagnostic]) {
        self.workflow = workflow
        self.graph = graph
        self.diagnostics = diagnostics
    }

    /// Ready to plan or run: a graph and no errors (warnings allowed).
    public var isValid: Bool { graph != nil && !diagnostics.hasErrors }
}

/// The whole front end in one call: `WorkflowLoader` (YAML, decoding, validation), then
/// `WorkflowGraph.build` (needs, cycles, reference ordering).
///
/// The graph is built only from a workflow without errors: its checks assume ids are
/// unique and references resolve, and would only repeat what the loader already said.
public enum WorkflowCompiler {
    public static func compile(
        source: [UInt8], file: String, environment: [String: String], options: LoadOptions = LoadOptions()
    ) -> Compilation {
        let loaded = WorkflowLoader.load(source: source, file: file, environment: environment, options: options)
        guard let workflow = loaded.workflow, !loaded.diagnostics.hasErrors else {
            return Compilation(workflow: loaded.workflow, graph: nil, diagnostics: loaded.diagnostics)
        }
        let (graph, graphDiagnostics) = WorkflowGraph.build(workflow)
        return Compilation(
            workflow: workflow, graph: graph, diagnostics: (loaded.diagnostics + graphDiagnostics).sortedByLocation())
    }
}
