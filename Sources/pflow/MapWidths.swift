import Foundation
import PFlowSpec

/// Counts the items each map would expand to if the run started now, for `pflow plan`.
///
/// PFlowSpec reads no files, so the counting of globs, `lines:` files and inputs happens
/// here. It mirrors the run's rules (paths relative to the workflow's folder, one item per
/// non-empty line, files only for globs); a map that cannot be counted stays "dynamic".
struct MapWidths {
    var widths: [String: Int] = [:]
    /// Why a map stayed dynamic, for a note under the plan.
    var notes: [String] = []

    init(graph: WorkflowGraph, workflow: Workflow, inputs: [String: String]) {
        let folder = URL(fileURLWithPath: workflow.file).deletingLastPathComponent()
        for node in graph.nodes {
            guard let source = node.mapSource?.value else { continue }
            switch source {
            case .items:
                continue  // PFlowSpec counts literal items itself.
            case .glob(let pattern):
                let count = Self.countFiles(matching: Self.resolve(pattern, in: folder))
                widths[node.id] = count
                if count == 0 { notes.append("map '\(node.id)': no file matches \(pattern) yet") }
            case .lines(let path):
                if let text = Self.readText(Self.resolve(path, in: folder)) {
                    widths[node.id] = Self.countLines(text)
                } else {
                    notes.append("map '\(node.id)': cannot read \(path); its width is dynamic")
                }
            case .input(let name):
                let input = workflow.inputs.first { $0.name == name }
                guard let value = inputs[name] ?? input?.defaultValue else {
                    notes.append("map '\(node.id)': input '\(name)' has no value; give --input \(name)=...")
                    continue
                }
                if input?.isFile == true {
                    if let text = Self.readText(Self.resolve(value, in: folder)) {
                        widths[node.id] = Self.countLines(text)
                    } else {
                        notes.append("map '\(node.id)': cannot read \(value) (input '\(name)'); its width is dynamic")
                    }
                } else {
                    widths[node.id] = Self.countLines(value)
                }
            }
        }
    }

    private static func resolve(_ path: String, in folder: URL) -> String {
        path.hasPrefix("/") ? path : folder.appendingPathComponent(path).path
    }

    private static func countLines(_ text: String) -> Int {
        text.split(whereSeparator: \.isNewline).count { !$0.allSatisfy(\.isWhitespace) }
    }

    private static func readText(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// POSIX glob(3): `*`, `?` and `[...]` within one path component; directories are not items.
    private static func countFiles(matching pattern: String) -> Int {
        var matches = glob_t()
        defer { globfree(&matches) }
        guard glob(pattern, GLOB_MARK, nil, &matches) == 0 else { return 0 }
        return (0..<Int(matches.gl_pathc)).count { index in
            guard let path = matches.gl_pathv[index] else { return false }
            return !String(cString: path).hasSuffix("/")
        }
    }
}
