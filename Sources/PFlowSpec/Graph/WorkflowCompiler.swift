/// Everything PFlowSpec knows about one workflow file: the model, its graph, and every
/// diagnostic found on the way.
public struct Compilation: Sendable {
    /// Present when decoding got far enough, even when there are errors.
    public var workflow: Workflow?
    /// Present only when the workflow has no errors at all.
    public var graph: WorkflowGraph?
    /// Sorted by location.
    public var diagnostics: [Diagnostic]
    /// Present only when the compiler found no errors: the form the engine runs.
    public fileprivate(set) var compiled: CompiledWorkflow?

    public init(workflow: Workflow?, graph: WorkflowGraph?, diagnostics: [Diagnostic]) {
        self.workflow = workflow
        self.graph = graph
        self.diagnostics = diagnostics
    }

    /// Ready to plan or run: a graph and no errors (warnings allowed).
    public var isValid: Bool { graph != nil && !diagnostics.hasErrors }
}

/// A workflow that passed every check: validated, and its graph built without a missing
/// `needs:` target or a cycle. Only `WorkflowCompiler` makes one, so a run's input type
/// says that validation happened: a cycle handed to the engine would wait forever.
public struct CompiledWorkflow: Sendable {
    public let workflow: Workflow
    public let graph: WorkflowGraph

    fileprivate init(workflow: Workflow, graph: WorkflowGraph) {
        self.workflow = workflow
        self.graph = graph
    }
}

/// The whole front end in one call: `WorkflowLoader` (YAML, decoding, validation), then
/// `WorkflowGraph.build` (needs, cycles, reference ordering).
///
/// The graph is built only from a workflow without errors: its checks assume ids are
/// unique and references resolve, and would only repeat what the loader already said.
public enum WorkflowCompiler {
    public static func compile(
        source: [UInt8], file: String, environment: [String: String], options: LoadOptions = LoadOptions(),
        schemaFiles: SchemaFileReader = .unavailable
    ) -> Compilation {
        let loaded = WorkflowLoader.load(
            source: source, file: file, environment: environment, options: options, schemaFiles: schemaFiles)
        guard let workflow = loaded.workflow, !loaded.diagnostics.hasErrors else {
            return Compilation(workflow: loaded.workflow, graph: nil, diagnostics: loaded.diagnostics)
        }
        return graphed(workflow, diagnostics: loaded.diagnostics)
    }

    /// The same checks for a workflow built in code (embedding pflow, tests): validation,
    /// then the graph. `environment` is only used to warn about unset `api_key_env`s.
    public static func compile(
        _ workflow: Workflow, environment: [String: String] = [:], options: LoadOptions = LoadOptions()
    ) -> Compilation {
        let diagnostics = WorkflowValidator.validate(workflow, environment: environment, options: options)
        guard !diagnostics.hasErrors else {
            return Compilation(workflow: workflow, graph: nil, diagnostics: diagnostics.sortedByLocation())
        }
        return graphed(workflow, diagnostics: diagnostics)
    }

    private static func graphed(_ workflow: Workflow, diagnostics: [Diagnostic]) -> Compilation {
        let (graph, graphDiagnostics) = WorkflowGraph.build(workflow)
        var compilation = Compilation(
            workflow: workflow, graph: graph, diagnostics: (diagnostics + graphDiagnostics).sortedByLocation())
        if let graph, compilation.isValid {
            compilation.compiled = CompiledWorkflow(workflow: workflow, graph: graph)
        }
        return compilation
    }
}
