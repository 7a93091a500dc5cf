import Foundation

/// The process's open-file limit, raised as far as allowed: every request in flight holds
/// a socket, and past the soft limit URLSession fails with an opaque error
/// (docs/architecture.md, "Platform facts").
public enum OpenFileLimit {
    /// File descriptors kept free for the run directory, the event log and the runtime.
    static let reserve = 64

    /// Raises the soft limit to the hard limit and returns the soft limit now in force.
    @discardableResult
    public static func raiseToHardLimit() -> Int {
        var limits = rlimit()
        guard getrlimit(resourceLimit, &limits) == 0 else { return 1024 }
        if limits.rlim_cur < limits.rlim_max {
            var raised = limits
            raised.rlim_cur = limits.rlim_max
            if setrlimit(resourceLimit, &raised) == 0 { limits = raised }
        }
        return limits.rlim_cur > rlim_t(Int32.max) ? Int(Int32.max) : Int(limits.rlim_cur)
    }

    /// How many network requests may be in flight under `limit` open files.
    public static func requestCeiling(forLimit limit: Int) -> Int { max(1, limit - reserve) }

    #if os(Linux)
        private static let resourceLimit = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        private static let resourceLimit = RLIMIT_NOFILE
    #endif
}
