import Foundation
import PFlowSpec

/// One workflow file named on the command line: its bytes, if they could be read, and
/// what compiling them found.
struct WorkflowFile {
    var path: String
    var source: [UInt8]?
    var compilation: Compilation

    /// Reads and compiles `path`. What cannot be read becomes a diagnostic at the file,
    /// line 0, instead of an exception: `validate` reports it next to the others.
    static func compile(_ path: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> WorkflowFile
    {
        switch read(path) {
        case .success(let bytes):
            return WorkflowFile(
                path: path, source: bytes,
                compilation: WorkflowCompiler.compile(source: bytes, file: path, environment: environment))
        case .failure(let problem):
            let diagnostic = Diagnostic.error(problem.message, at: SourceLocation(file: path, line: 0, column: 0))
            return WorkflowFile(
                path: path, source: nil, compilation: Compilation(workflow: nil, graph: nil, diagnostics: [diagnostic]))
        }
    }

    struct ReadProblem: Error {
        var message: String
    }

    /// Only regular files, sized before reading: a FIFO or a device would block or never
    /// end, and a huge file would be read whole before the parser refused it.
    private static func read(_ path: String) -> Result<[UInt8], ReadProblem> {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return .failure(ReadProblem(message: "cannot read the file: \(String(cString: strerror(errno)))"))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return .failure(ReadProblem(message: "is a directory, not a workflow file"))
        default: return .failure(ReadProblem(message: "is not a regular file"))
        }
        let limit = WorkflowLoader.maxSourceBytes
        guard Int(info.st_size) <= limit else {
            return .failure(
                ReadProblem(message: "the file is \(info.st_size) bytes; workflow files are limited to \(limit) bytes"))
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
