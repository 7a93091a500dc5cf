import Foundation

/// A file in the run directory could not be written: a full disk, a read-only folder.
public struct RunStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Whole-file writes that readers never see half done: write a temporary file in the same
/// folder, then rename it over the target (rename is atomic within one file system).
enum AtomicFile {
    static func write(_ text: String, to path: String) throws(RunStoreError) {
        var text = text
        try text.withUTF8 { bytes in
            Result { () throws(RunStoreError) in try write(UnsafeRawBufferPointer(bytes), to: path) }
        }.get()
    }

    static func write(_ data: Data, to path: String) throws(RunStoreError) {
        try data.withUnsafeBytes { bytes in
            Result { () throws(RunStoreError) in try write(bytes, to: path) }
        }.get()
    }

    static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws(RunStoreError) {
        let temporary = temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create", temporary) }
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                let error = failure("cannot write", temporary)
                close(fd)
                unlink(temporary)
                throw error
            }
            offset += written
        }
        guard close(fd) == 0 else {
            let error = failure("cannot write", temporary)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = failure("cannot rename into", path)
            unlink(temporary)
            throw error
        }
    }

    /// Points `link` at `target` atomically: a symlink under a temporary name, renamed over
    /// the old one, so `latest` never dangles or disappears mid-update.
    static func replaceSymlink(at link: String, pointingTo target: String) throws(RunStoreError) {
        let temporary = temporaryPath(for: link)
        guard symlink(target, temporary) == 0 else { throw failure("cannot create symlink", temporary) }
        guard rename(temporary, link) == 0 else {
            let error = failure("cannot rename symlink onto", link)
            unlink(temporary)
            throw error
        }
    }

    private static func temporaryPath(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        return folder + "." + name + ".tmp-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }

    private static func failure(_ action: String, _ path: String) -> RunStoreError {
        RunStoreError("\(action) \(path): \(String(cString: strerror(errno)))")
    }
}
