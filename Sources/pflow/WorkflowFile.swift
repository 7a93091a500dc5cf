import Foundation
import PFlowEngine
import PFlowSpec

/// One workflow file named on the command line: its bytes, if they could be read, what
/// compiling them found, and what its maps hold on disk now.
struct WorkflowFile {
    var path: String
    var source: [UInt8]?
    /// Its diagnostics include those of `mapWidths`, so a map leading outside the folder
    /// makes the workflow invalid like any other error.
    var compilation: Compilation
    /// Present when the workflow compiled without errors.
    var mapWidths: MapWidths?

    /// Reads and compiles `path`, then looks at its maps' files. What cannot be read becomes
    /// a diagnostic at the file, line 0, instead of an exception: `validate` reports it next
    /// to the others. `inputs` are the values given on the command line, for maps over inputs.
    static func compile(
        _ path: String, options: LoadOptions, inputs: [String: String] = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> WorkflowFile {
        switch read(path, kind: "a workflow file") {
        case .success(let bytes):
            let schemaFiles = SchemaFileReader { path in
                read(path, kind: "a schema file").mapError { SchemaFileReader.Problem($0.message) }
            }
            var compilation = WorkflowCompiler.compile(
                source: bytes, file: path, environment: environment, options: options, schemaFiles: schemaFiles)
            guard compilation.isValid, let workflow = compilation.workflow, let graph = compilation.graph else {
                return WorkflowFile(path: path, source: bytes, compilation: compilation)
            }
            let widths = MapWidths(graph: graph, workflow: workflow, inputs: inputs, options: options)
            compilation.diagnostics = (compilation.diagnostics + widths.diagnostics).sortedByLocation()
            return WorkflowFile(path: path, source: bytes, compilation: compilation, mapWidths: widths)
        case .failure(let problem):
            let diagnostic = Diagnostic.error(problem.message, at: SourceLocation(file: path, line: 0, column: 0))
            return WorkflowFile(
                path: path, source: nil, compilation: Compilation(workflow: nil, graph: nil, diagnostics: [diagnostic]))
        }
    }

    struct ReadProblem: Error {
        var message: String
    }

    /// Sized before reading: a huge file would otherwise be read whole before the parser
    /// refused it.
    private static func read(_ path: String, kind: String) -> Result<[UInt8], ReadProblem> {
        let size: Int
        switch RegularFile.size(of: path) {
        case .success(let bytes): size = bytes
        case .failure(let problem): return .failure(ReadProblem(message: problem.message(for: kind)))
        }
        let limit = WorkflowLoader.maxSourceBytes
        guard size <= limit else {
            return .failure(
                ReadProblem(message: "the file is \(size) bytes; workflow files are limited to \(limit) bytes"))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return .failure(ReadProblem(message: "cannot open the file for reading"))
        }
        defer { try? handle.close() }
        do {
            // One byte past the limit, in case the file grew since stat: the parser then
            // refuses it by size.
            let data = try handle.read(upToCount: limit + 1) ?? Data()
            return .success([UInt8](data))
        } catch {
            return .failure(ReadProblem(message: "cannot read the file: \(error.localizedDescription)"))
        }
    }
}
