import Foundation
import PFlowSpec

/// Turns a `map`'s `over:` into its items when the map is reached, so a glob sees the files
/// that exist then. Relative paths are resolved against the workflow file's folder.
struct MapExpander: Sendable {
    /// Absolute folder of the workflow file.
    var baseDirectory: String
    var inputs: [String: String]

    func items(of source: MapSpec.Source) throws(TemplateRenderError) -> [MapItem] {
        switch source {
        case .items(let texts):
            return texts.enumerated().map { MapItem(index: $0, name: $1, path: "", content: .text($1)) }
        case .lines(let file):
            let absolute = resolve(file)
            guard let data = FileManager.default.contents(atPath: absolute) else {
                throw TemplateRenderError("map lines file '\(file)' cannot be read")
            }
            return lineItems(String(decoding: data, as: UTF8.self))
        case .input(let name):
            guard let value = inputs[name] else {
                throw TemplateRenderError("map over input '\(name)', which has no value")
            }
            return lineItems(value)
        case .glob(let pattern):
            return try globItems(pattern)
        }
    }

    private func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : baseDirectory + "/" + path
    }

    private func lineItems(_ text: String) -> [MapItem] {
        var items: [MapItem] = []
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            let item = String(line)
            guard !item.allSatisfy(\.isWhitespace) else { continue }
            items.append(MapItem(index: items.count, name: item, path: "", content: .text(item)))
        }
        return items
    }

    private func globItems(_ pattern: String) throws(TemplateRenderError) -> [MapItem] {
        let prefix = pattern.hasPrefix("/") ? "" : MapPaths.escapedForGlob(baseDirectory) + "/"
        var matches = glob_t()
        defer { globfree(&matches) }
        let status = glob(prefix + pattern, GLOB_MARK, nil, &matches)
        if status == GLOB_NOMATCH { return [] }
        guard status == 0 else {
            throw TemplateRenderError("map glob '\(pattern)' failed (glob error \(status))")
        }
        let strip = pattern.hasPrefix("/") ? "" : baseDirectory + "/"
        var paths: [String] = []
        for index in 0..<Int(matches.gl_pathc) {
            guard let cPath = matches.gl_pathv[index] else { continue }
            let absolute = String(cString: cPath)
            // GLOB_MARK puts a slash after directories: the map is over files.
            if absolute.hasSuffix("/") { continue }
            paths.append(absolute)
        }
        paths.sort()
        return paths.enumerated().map { index, absolute in
            let relative = absolute.hasPrefix(strip) ? String(absolute.dropFirst(strip.count)) : absolute
            let name = relative.split(separator: "/").last.map(String.init) ?? relative
            return MapItem(index: index, name: name, path: relative, content: .file(absolute))
        }
    }
}
