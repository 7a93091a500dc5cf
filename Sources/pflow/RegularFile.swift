import Foundation

/// Checks a path named by a user or a workflow before a byte of it is read.
///
/// Only regular files pass: a FIFO or a device would block or never end, and a directory
/// has no content. The size comes from the same stat, so a caller can refuse a huge file
/// without reading it.
enum RegularFile {
    enum Problem: Error {
        case unreadable(reason: String)
        case directory
        case special

        /// Phrased to follow the path: "PATH: is a directory, not a file".
        func message(for what: String) -> String {
            switch self {
            case .unreadable(let reason): "cannot read the file: \(reason)"
            case .directory: "is a directory, not \(what)"
            case .special: "is not a regular file"
            }
        }
    }

    /// The file's size in bytes, following symlinks.
    static func size(of path: String) -> Result<Int, Problem> {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return .failure(.unreadable(reason: String(cString: strerror(errno))))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .success(Int(info.st_size))
        case S_IFDIR: return .failure(.directory)
        default: return .failure(.special)
        }
    }
}
