import Foundation
import PFlowSpec

/// Turns a `map`'s `over:` into its items when the map is reached, so a glob sees the files
/// that exist then. Relative paths are resolved against the workflow file's folder.
///
/// Validation checked the files when the run started, but they may have changed since, so
/// every file is checked again here as it is used: its real path (symlinks resolved) must be
/// inside the workflow's folder unless `allowOutside` (`--allow-outside`), and it must be a
/// regular file of at most `RegularFile.maxBytes`, so a FIFO cannot hang the run.
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

    private func checkedLinesFile(_ file: String) throws(TemplateRenderError) -> String {
        let absolute = resolve(file)
        if !allowOutside {
            try requireInside(absolute, shown: file, written: file, kind: "map lines file", folder: realFolder())
        }
        return absolute
    }

    private func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : baseDirectory + "/" + path
    }

    private func realFolder() -> String { RegularFile.realPath(baseDirectory) ?? baseDirectory }

    /// A path that does not resolve (missing, a dangling link) is left to the read, which
    /// names the real problem.
    private func requireInside(
        _ absolute: String, shown: String, written: String, kind: String, folder: String
    ) throws(TemplateRenderError) {
        guard let real = RegularFile.realPath(absolute), !MapPaths.contains(real, in: folder) else { return }
        throw TemplateRenderError(
            "\(kind) '\(written)' reaches outside the workflow's folder: '\(shown)' resolves to '\(real)'; "
                + "pass --allow-outside to allow it")
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
        let folder = allowOutside ? nil : realFolder()
        var paths: [String] = []
        for index in 0..<Int(matches.gl_pathc) {
            guard let cPath = matches.gl_pathv[index] else { continue }
            let absolute = String(cString: cPath)
            // GLOB_MARK puts a slash after directories: the map is over files.
            if absolute.hasSuffix("/") { continue }
            if let folder {
                let relative = absolute.hasPrefix(strip) ? String(absolute.dropFirst(strip.count)) : absolute
                try requireInside(absolute, shown: relative, written: pattern, kind: "map glob", folder: folder)
            }
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
