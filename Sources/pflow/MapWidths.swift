import Foundation
import PFlowEngine
import PFlowSpec

/// Counts the items each map would expand to if the run started now, and checks on disk
/// what PFlowSpec cannot: where a map's files really are.
///
/// PFlowSpec reads no files, so globs, `lines:` files and file inputs are looked at here,
/// for `pflow validate` and `pflow plan` alike. It mirrors the run's rules (paths relative
/// to the workflow's folder, one item per non-blank line, files only for globs). A match
/// or `lines:` file whose real path (symlinks resolved) is outside the workflow's folder is
/// an error unless `--allow-outside`; a map wider than `largeWidth` is a warning. A map
/// that cannot be counted stays "dynamic", with a note saying why.
struct MapWidths {
    /// Above this many branches a map is more likely a mistake than a plan.
    static let largeWidth = 10_000

    var widths: [String: Int] = [:]
    /// Why a map stayed dynamic, for a note under the plan.
    var notes: [String] = []
    var diagnostics: [Diagnostic] = []

    init(graph: WorkflowGraph, workflow: Workflow, inputs: [String: String], options: LoadOptions) {
        let folder = URL(fileURLWithPath: workflow.file).deletingLastPathComponent().path
        let realFolder = RegularFile.realPath(folder) ?? folder
        for node in graph.nodes {
            guard let source = node.mapSource else { continue }
            let at = source.location
            switch source.value {
            case .items(let items):
                widths[node.id] = items.count
            case .glob(let pattern):
                let matches = Self.files(matching: pattern, in: folder)
                widths[node.id] = matches.count
                if matches.isEmpty { notes.append("map '\(node.id)': no file matches \(pattern) yet") }
                if !options.allowOutside {
                    checkContained(matches, of: pattern, in: realFolder, folder: folder, at: at)
                }
            case .lines(let path):
                let file = Self.resolve(path, in: folder)
                if !options.allowOutside { checkContained([file], of: path, in: realFolder, folder: folder, at: at) }
                count(file: file, named: path, for: node.id)
            case .input(let name):
                let input = workflow.inputs.first { $0.name == name }
                guard let value = inputs[name] ?? input?.defaultValue else {
                    notes.append("map '\(node.id)': input '\(name)' has no value; give --input \(name)=...")
                    continue
                }
                if input?.isFile == true {
                    // As in the run: a path given on the command line is the user's, relative to
                    // the working directory; a default is the workflow's, relative to its folder.
                    let path = inputs[name] != nil ? value : Self.resolve(value, in: folder)
                    count(file: path, named: "\(value) (input '\(name)')", for: node.id)
                } else {
                    widths[node.id] = LineCounter.count(text: value)
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
    private mutating func checkContained(
        _ paths: [String], of written: String, in realFolder: String, folder: String, at location: SourceLocation
    ) {
        let outside = paths.compactMap { path -> (String, String)? in
            guard let real = RegularFile.realPath(path), !MapPaths.contains(real, in: realFolder) else { return nil }
            return (path, real)
        }
        guard let (first, real) = outside.first else { return }
        let shown = first.hasPrefix(folder + "/") ? String(first.dropFirst(folder.count + 1)) : first
        var notes = ["pass --allow-outside to allow it"]
        if outside.count > 1 { notes.insert("\(outside.count - 1) more of its files lead outside too", at: 0) }
        diagnostics.append(
            .error(
                "'\(written)' reaches outside the workflow's folder: '\(shown)' resolves to '\(real)'", at: location,
                notes: notes))
    }

    private static func resolve(_ path: String, in folder: String) -> String {
        path.hasPrefix("/") ? path : folder + "/" + path
    }

    /// POSIX glob(3): `*`, `?` and `[...]` within one path component; directories are not
    /// items. The folder is escaped so that a `[` in its name is not a pattern.
    private static func files(matching pattern: String, in folder: String) -> [String] {
        let full = pattern.hasPrefix("/") ? pattern : MapPaths.escapedForGlob(folder) + "/" + pattern
        var matches = glob_t()
        defer { globfree(&matches) }
        guard glob(full, GLOB_MARK, nil, &matches) == 0 else { return [] }
        return (0..<Int(matches.gl_pathc)).compactMap { index in
            guard let path = matches.gl_pathv[index].map({ String(cString: $0) }), !path.hasSuffix("/") else {
                return nil
            }
            return path
        }
    }
}
