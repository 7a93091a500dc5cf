/// The rule that keeps a map's files (`glob`, `lines`) inside the workflow's folder, in the
/// two halves that need different knowledge.
///
/// What the text of a path says is checked here, at validate time. Where a symlink leads
/// needs the disk, so whoever expands a glob or opens a `lines:` file (the CLI, the engine)
/// resolves the real path and asks `contains(_:in:)`. Both halves are waived by
/// `LoadOptions.allowOutside`.
public enum MapPaths {
    /// True when `path` is absolute, starts at a home folder, or has a `..` component.
    public static func reachesOutside(_ path: String) -> Bool {
        path.hasPrefix("/") || path.hasPrefix("~") || path.split(separator: "/").contains("..")
            || path.split(separator: "\\").contains("..")
    }

    /// True when the resolved absolute `path` is `folder` itself or below it. Both must be
    /// real paths (symlinks resolved, no `.` or `..`), as realpath(3) returns them.
    public static func contains(_ path: String, in folder: String) -> Bool {
        let base = folder.hasSuffix("/") ? folder : folder + "/"
        return path == folder || path.hasPrefix(base)
    }

    /// `literal` with glob(3)'s special characters escaped, so a folder named `a[1]` can
    /// prefix a pattern and still match only itself.
    public static func escapedForGlob(_ literal: String) -> String {
        var escaped = ""
        for character in literal {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
