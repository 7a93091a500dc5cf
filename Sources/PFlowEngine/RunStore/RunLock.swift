import Foundation

/// An exclusive `flock` on a run directory, held by the process running or resuming it.
///
/// Why flock on the folder itself: no extra file to clean up, and the kernel releases the
/// lock when the holder dies however it dies, so a run killed with SIGKILL is resumable
/// while a live one is not.
public final class RunLock: Sendable {
    private let fd: Int32

    init(directory: String) throws(RunStoreError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw RunStoreError("cannot open \(directory): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            close(fd)
            throw RunStoreError(
                busy
                    ? "\(directory) is in use by another pflow process (a run or resume still going)"
                    : "cannot lock \(directory): \(reason)")
        }
        self.fd = fd
    }

    deinit { close(fd) }
}
