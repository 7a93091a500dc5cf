import Foundation
import PFlowSpec

/// Turns a `map`'s `over:` into its items when the map is reached, so a glob sees the files
/// that exist then. Where the files are and whether they may be used is `MapFiles`' rule;
/// how text becomes items is `LineCounter`'s.
///
/// Validation checked the files when the run started, but they may have changed since, so
/// every file is checked again here as it is used: inside the workflow's folder unless
/// `allowOutside` (`--allow-outside`), and a regular file of at most
/// `RegularFile.maxBytes`, so a FIFO cannot hang the run.
struct MapExpander: Sendable {
    /// Absolute folder of the workflow file.
    var baseDirectory: String
    var inputs: [String: String]
    var allowOutside: Bool

    func items(of source: MapSpec.Source) throws(TemplateRenderError) -> [MapItem] {
        switch source {
        case .items(let texts):
            return texts.enumerated().map { MapItem(index: $0, name: $1, path: "", content: .text($1)) }
        case .lines(let file):
            let absolute = try checkedLinesFile(file)
            switch RegularFile.read(absolute) {
            case .success(let bytes): return lineItems(String(decoding: bytes, as: UTF8.self))
            case .failure(let problem):
                throw TemplateRenderError("map lines file '\(file)' \(problem.message(for: "a file"))")
            }
        case .input(let name):
            guard let value = inputs[name] else {
                throw TemplateRenderError("map over input '\(name)', which has no value")
            }
            return lineItems(value)
        case .glob(let pattern):
            return try globItems(pattern)
        }
    }

    /// What can be known before the run sends anything: a `lines:` file is a regular file
    /// of bounded size inside the folder, and the files a glob matches now are too. Inputs
    /// were checked when they were read.
    func check(_ source: MapSpec.Source) throws(TemplateRenderError) {
        switch source {
        case .items, .input:
            return
        case .lines(let file):
            let absolute = try checkedLinesFile(file)
            switch RegularFile.size(of: absolute) {
            case .success(let size) where size > RegularFile.maxBytes:
                throw TemplateRenderError(
                    "map lines file '\(file)' \(RegularFile.Problem.tooLarge(size: size, limit: RegularFile.maxBytes).message(for: "a file"))"
                )
            case .success:
                return
            case .failure(let problem):
                throw TemplateRenderError("map lines file '\(file)' \(problem.message(for: "a file"))")
            }
        case .glob(let pattern):
            _ = try globItems(pattern)
        }
    }

    private var files: MapFiles { MapFiles(folder: baseDirectory, allowOutside: allowOutside) }

    private func checkedLinesFile(_ file: String) throws(TemplateRenderError) -> String {
        let absolute = files.resolve(file)
        try requireInside([absolute], written: file, kind: "map lines file")
        return absolute
    }

    private func requireInside(_ paths: [String], written: String, kind: String) throws(TemplateRenderError) {
        if let error = files.outside(paths, written: written) { throw Self.renderError(error, kind: kind) }
    }

    private static func renderError(_ error: MapFileError, kind: String) -> TemplateRenderError {
        switch error {
        case .outside: TemplateRenderError(([kind + " " + error.message] + error.notes).joined(separator: "; "))
        case .globFailed: TemplateRenderError(error.message)
        }
    }

    private func lineItems(_ text: String) -> [MapItem] {
        LineCounter.items(in: text).enumerated().map { index, item in
            MapItem(index: index, name: item, path: "", content: .text(item))
        }
    }

    private func globItems(_ pattern: String) throws(TemplateRenderError) -> [MapItem] {
        let paths: [String]
        do { paths = try files.matches(of: pattern) } catch { throw Self.renderError(error, kind: "map glob") }
        try requireInside(paths, written: pattern, kind: "map glob")
        return paths.enumerated().map { index, absolute in
            let relative = pattern.hasPrefix("/") ? absolute : files.shown(absolute)
            let name = relative.split(separator: "/").last.map(String.init) ?? relative
            return MapItem(index: index, name: name, path: relative, content: .file(absolute))
        }
    }
}
