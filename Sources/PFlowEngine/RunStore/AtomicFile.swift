import Foundation

/// Whole-file writes that readers never see half done.
///
/// A new file is written as an unnamed inode (O_TMPFILE) and linked under its name once
/// complete: one directory operation instead of a temporary name plus a rename, which
/// matters for ten thousand step files in one folder. Where that is unsupported, or the
/// name exists, a temporary file in the same folder is renamed over the target (rename is
/// atomic within one file system).
enum AtomicFile {
    /// Writes a file that usually does not exist yet: steps/<id>.md, steps/<id>.json.
    static func write(_ text: String, to path: String) throws(RunStoreError) {
        var text = text
        try text.withUTF8 { bytes in
            Result { () throws(RunStoreError) in
                let raw = UnsafeRawBufferPointer(bytes)
                if linkNew(raw, at: path) { return }
                try replace(at: path) { write in write(raw) }
            }
        }.get()
    }

    /// Writes a file that is rewritten in place from pieces `produce` hands to `write`, so a
    /// large document never has to exist whole in memory: run.json.
    static func replace(
        at path: String, _ produce: (_ write: (UnsafeRawBufferPointer) -> Void) -> Void
    ) throws(RunStoreError) {
        let temporary = temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create", temporary) }
        var writeError: RunStoreError?
        produce { bytes in
            if writeError == nil && !FileDescriptor.writeAll(bytes, to: fd) {
                writeError = failure("cannot write", temporary)
            }
        }
        if let writeError {
            close(fd)
            unlink(temporary)
            throw writeError
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

    /// The O_TMPFILE path; false when it cannot be used here, and nothing was written.
    private static func linkNew(_ bytes: UnsafeRawBufferPointer, at path: String) -> Bool {
        #if os(Linux)
            let slash = path.lastIndex(of: "/")
            let folder = slash.map { String(path[..<$0]) } ?? "."
            let fd = open(folder.isEmpty ? "/" : folder, temporaryFileFlag | O_WRONLY | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            guard FileDescriptor.writeAll(bytes, to: fd) else { return false }
            return linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0
        #else
            return false
        #endif
    }

    #if os(Linux)
        /// O_TMPFILE (`__O_TMPFILE | O_DIRECTORY`), which Glibc's module does not import.
        private static let temporaryFileFlag: Int32 = 0o20_000_000 | O_DIRECTORY
    #endif

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
