import Foundation
import PFlowSpec

/// The files a map's `glob` and `lines:` name, found and checked one way for everyone: the
/// run when the map expands (`MapExpander`), and `pflow validate` / `pflow plan` when they
/// count a map's width before the run.
///
/// Paths are relative to the workflow's folder. A file whose real path (symlinks resolved)
/// is outside that folder is refused unless `allowOutside` (`--allow-outside`).
public struct MapFiles: Sendable {
    /// Absolute folder of the workflow file.
    public let folder: String
    public let allowOutside: Bool

    public init(folder: String, allowOutside: Bool) {
        self.folder = folder
        self.allowOutside = allowOutside
    }

    /// A path as written in the workflow, made absolute.
    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : folder + "/" + path
    }

    /// An absolute path as the workflow's author wrote it: relative to the folder when inside.
    public func shown(_ absolute: String) -> String {
        absolute.hasPrefix(folder + "/") ? String(absolute.dropFirst(folder.count + 1)) : absolute
    }

    /// POSIX glob(3): `*`, `?` and `[...]` within one path component; directories are not
    /// items. The folder is escaped so that a `[` in its name is not a pattern. Absolute
    /// paths, sorted; none when nothing matches.
    public func matches(of pattern: String) throws(MapFileError) -> [String] {
        let prefix = pattern.hasPrefix("/") ? "" : MapPaths.escapedForGlob(folder) + "/"
        var found = glob_t()
        defer { globfree(&found) }
        let status = glob(prefix + pattern, GLOB_MARK, nil, &found)
        if status == GLOB_NOMATCH { return [] }
        guard status == 0 else { throw .globFailed(pattern: pattern, status: Int(status)) }
        var paths: [String] = []
        for index in 0..<Int(found.gl_pathc) {
            guard let cPath = found.gl_pathv[index] else { continue }
            let path = String(cString: cPath)
            // GLOB_MARK puts a slash after directories: the map is over files.
            if !path.hasSuffix("/") { paths.append(path) }
        }
        return paths.sorted()
    }

    /// The first of `paths` that leads outside the folder, and how many more do; nil when
    /// none does or `allowOutside`. A path that does not resolve (missing, a dangling
    /// link) is left to whoever reads it, which names the real problem.
    public func outside(_ paths: [String], written: String) -> MapFileError? {
        guard !allowOutside else { return nil }
        let realFolder = RegularFile.realPath(folder) ?? folder
        var first: (path: String, real: String)?
        var more = 0
        for path in paths {
            guard let real = RegularFile.realPath(path), !MapPaths.contains(real, in: realFolder) else { continue }
            if first == nil { first = (path, real) } else { more += 1 }
        }
        guard let first else { return nil }
        return .outside(written: written, shown: shown(first.path), real: first.real, more: more)
    }
}

/// Why a map's files cannot be used.
public enum MapFileError: Error, Sendable, Hashable {
    /// `written` (the pattern or path in the workflow) reaches `shown`, whose real path
    /// `real` is outside the folder; `more` other matches do too.
    case outside(written: String, shown: String, real: String, more: Int)
    case globFailed(pattern: String, status: Int)

    /// One sentence, without the fix: `notes` has it.
    public var message: String {
        switch self {
        case .outside(let written, let shown, let real, _):
            "'\(written)' reaches outside the workflow's folder: '\(shown)' resolves to '\(real)'"
        case .globFailed(let pattern, let status):
            "map glob '\(pattern)' failed (glob error \(status))"
        }
    }

    public var notes: [String] {
        switch self {
        case .outside(_, _, _, let more):
            (more > 0 ? ["\(more) more of its files lead outside too"] : []) + ["pass --allow-outside to allow it"]
        case .globFailed: []
        }
    }
}
