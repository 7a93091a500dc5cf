import Foundation

/// Checks and reads a path named by a user or a workflow, refusing what is not a plain
/// file of bounded size before a byte of it is read.
///
/// Only regular files pass: a FIFO or a device would block or never end, and a directory
/// has no content. The file is opened without blocking and checked with `fstat` on that
/// descriptor, so a file swapped for a FIFO after a check cannot hang the read. The CLI
/// (validate, plan) and the engine (inputs, `lines:` files, glob matches) share it, so
/// they refuse the same files with the same words.
public enum RegularFile {
    /// The most pflow reads of one file at run time (a file input, `--input-file`, a
    /// `lines:` file, a glob match's content): 16 MiB, like a server's answer.
    public static let maxBytes = 16 << 20

    public enum Problem: Error, Sendable, Hashable {
        case unreadable(reason: String)
        case directory
        case special
        case tooLarge(size: Int, limit: Int)

        /// Phrased to follow the path: "PATH: is a directory, not a file".
        public func message(for what: String) -> String {
            switch self {
            case .unreadable(let reason): "cannot read the file: \(reason)"
            case .directory: "is a directory, not \(what)"
            case .special: "is not a regular file"
            case .tooLarge(let size, let limit): "is \(size) bytes; files read by a run are limited to \(limit) bytes"
            }
        }
    }

    /// The file's size in bytes, following symlinks.
    public static func size(of path: String) -> Result<Int, Problem> {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return .failure(.unreadable(reason: String(cString: strerror(errno))))
        }
        return check(info)
    }

    /// The whole file, if it is a regular file of at most `limit` bytes.
    public static func read(_ path: String, limit: Int = maxBytes) -> Result<[UInt8], Problem> {
        // O_NONBLOCK: opening a FIFO with no writer would otherwise wait for one.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(.unreadable(reason: String(cString: strerror(errno)))) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            return .failure(.unreadable(reason: String(cString: strerror(errno))))
        }
        let size: Int
        switch check(info) {
        case .success(let bytes): size = bytes
        case .failure(let problem): return .failure(problem)
        }
        guard size <= limit else { return .failure(.tooLarge(size: size, limit: limit)) }
        // Up to one byte past the limit, in case the file grew since fstat.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size + 1)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while bytes.count <= limit {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return .failure(.unreadable(reason: String(cString: strerror(errno)))) }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        guard bytes.count <= limit else { return .failure(.tooLarge(size: bytes.count, limit: limit)) }
        return .success(bytes)
    }

    /// `path` with every symlink, `.` and `..` resolved, as `MapPaths.contains` needs it;
    /// nil when it does not resolve (missing, a dangling link).
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func check(_ info: stat) -> Result<Int, Problem> {
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .success(Int(info.st_size))
        case S_IFDIR: return .failure(.directory)
        default: return .failure(.special)
        }
    }
}
