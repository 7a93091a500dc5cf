import Foundation
import PFlowEngine
import PFlowSpec

/// Counts the items each map would expand to if the run started now, and checks on disk
/// what PFlowSpec cannot: where a map's files really are.
///
/// PFlowSpec reads no files, so globs, `lines:` files and file inputs are looked at here,
/// for `pflow validate` and `pflow plan` alike, through the engine's own rules: `MapFiles`
/// finds and checks the files, `LineCounter` says what a line item is. This type only
/// turns their answers into widths, notes and diagnostics. A map wider than `largeWidth`
/// is a warning; a map that cannot be counted stays "dynamic", with a note saying why.
struct MapWidths {
    /// Above this many branches a map is more likely a mistake than a plan.
    static let largeWidth = 10_000

    var widths: [String: Int] = [:]
    /// Why a map stayed dynamic, for a note under the plan.
    var notes: [String] = []
    var diagnostics: [Diagnostic] = []

    init(graph: WorkflowGraph, workflow: Workflow, inputs: [String: String], options: LoadOptions) {
        let folder = URL(fileURLWithPath: workflow.file).deletingLastPathComponent().path
        let files = MapFiles(folder: folder, allowOutside: options.allowOutside)
        for node in graph.nodes {
            guard let source = node.mapSource else { continue }
            let at = source.location
            switch source.value {
            case .items(let items):
                widths[node.id] = items.count
            case .glob(let pattern):
                let matches: [String]
                do { matches = try files.matches(of: pattern) } catch {
                    notes.append("map '\(node.id)': \(error.message); its width is dynamic")
                    continue
                }
                widths[node.id] = matches.count
                if matches.isEmpty { notes.append("map '\(node.id)': no file matches \(pattern) yet") }
                report(files.outside(matches, written: pattern), at: at)
            case .lines(let path):
                let file = files.resolve(path)
                report(files.outside([file], written: path), at: at)
                count(file: file, named: path, for: node.id)
            case .input(let name):
                let source = workflow.inputs.first { $0.name == name }.flatMap { input in
                    InputResolver.source(
                        of: input, values: inputs, workflowDirectory: folder,
                        workingDirectory: FileManager.default.currentDirectoryPath)
                }
                switch source {
                case .file(let absolute, let written)?:
                    count(file: absolute, named: "\(written) (input '\(name)')", for: node.id)
                case .text(let value)?:
                    widths[node.id] = LineCounter.count(text: value)
                case nil:
                    notes.append("map '\(node.id)': input '\(name)' has no value; give --input \(name)=...")
                    continue
                }
            }
            if let width = widths[node.id], width > Self.largeWidth {
                diagnostics.append(
                    .warning(
                        "map '\(node.id)' expands to \(width) branches, each at least one request", at: at,
                        notes: [
                            "more than \(Self.largeWidth) branches is more often a wrong file or pattern than a plan"
                        ]))
            }
        }
    }

    private mutating func count(file: String, named name: String, for id: String) {
        switch LineCounter.count(file: file) {
        case .success(let lines): widths[id] = lines
        case .failure(let problem):
            notes.append("map '\(id)': \(name) \(problem.message(for: "a file")); its width is dynamic")
        }
    }

    /// One error per map, naming the first file that leads outside and how many more do.
    private mutating func report(_ outside: MapFileError?, at location: SourceLocation) {
        guard let outside else { return }
        diagnostics.append(.error(outside.message, at: location, notes: outside.notes))
    }
}
