/// What loading one workflow file produced.
public struct LoadResult: Sendable {
    /// Present whenever decoding got far enough to build a model, even when `diagnostics`
    /// has errors: check `diagnostics.hasErrors` before running it.
    public var workflow: Workflow?
    /// Every finding, sorted by line and column.
    public var diagnostics: [Diagnostic]

    public init(workflow: Workflow?, diagnostics: [Diagnostic]) {
        self.workflow = workflow
        self.diagnostics = diagnostics
    }
}

/// The front of the PFlowSpec pipeline: bytes → YAML nodes with marks → `Workflow` →
/// validated `Workflow`, collecting every diagnostic on the way.
///
/// The stages are `YAMLParser` (YAML/), `WorkflowDecoder` (Decoding/) and
/// `WorkflowValidator` (Validation/); the graph (Graph/) builds on the result. It reads no
/// files itself, so the CLI, the engine and the tests all feed it the same way.
public enum WorkflowLoader {
    public static let maxSourceBytes = YAMLParser.Limits().maxSourceBytes

    /// Parses, decodes and validates one file's bytes. No disk access: the caller reads the
    /// file, and `schema_file`s through `schemaFiles`.
    ///
    /// `environment` is only used to warn about `api_key_env` variables that are not set.
    public static func load(
        source: [UInt8], file: String, environment: [String: String], options: LoadOptions = LoadOptions(),
        schemaFiles: SchemaFileReader = .unavailable
    ) -> LoadResult {
        let parsed = YAMLParser.parse(source, file: file)
        var diagnostics = parsed.diagnostics
        guard let root = parsed.root else {
            return LoadResult(workflow: nil, diagnostics: diagnostics.sortedByLocation())
        }
        var decoder = WorkflowDecoder(file: file, source: parsed.source)
        decoder.schemaFiles = schemaFiles
        decoder.options = options
        let workflow = decoder.decode(root)
        diagnostics += decoder.diagnostics
        if let workflow {
            diagnostics += WorkflowValidator.validate(workflow, environment: environment, options: options)
        }
        return LoadResult(workflow: workflow, diagnostics: diagnostics.sortedByLocation())
    }
}
