import Foundation

/// `runs/<name>/<UTC time>-<6 hex>/`: the folder one run writes, and nothing else does.
///
/// The folder is made with mkdir, which fails if it exists, so two runs started in the
/// same second (or a clock that went backwards) pick another id instead of sharing one.
public struct RunDirectory: Sendable {
    public let runID: String
    /// The run's folder.
    public let path: String
    /// `runs/<name>`, where `latest` lives.
    public let workflowFolder: String

    public var manifestPath: String { path + "/run.json" }
    public var eventsPath: String { path + "/events.jsonl" }
    public var resultPath: String { path + "/result.md" }
    public var stepsPath: String { path + "/steps" }

    public func outputPath(forStep id: String) -> String { stepsPath + "/" + id + ".md" }
    public func recordPath(forStep id: String) -> String { stepsPath + "/" + id + ".json" }

    /// Creates a fresh run folder under `root/<workflowName>`.
    public static func create(root: String, workflowName: String, now: Date = Date()) throws(RunStoreError)
        -> RunDirectory
    {
        let workflowFolder = root + "/" + safeName(workflowName)
        do {
            try FileManager.default.createDirectory(atPath: workflowFolder, withIntermediateDirectories: true)
        } catch {
            throw RunStoreError("cannot create run folder \(workflowFolder): \(error.localizedDescription)")
        }
        let stamp = UTCTimestamp.compact(now)
        for _ in 0..<64 {
            let suffix = String(UInt32.random(in: 0..<(1 << 24)), radix: 16)
            let runID = stamp + "-" + String(repeating: "0", count: 6 - suffix.count) + suffix
            let path = workflowFolder + "/" + runID
            if mkdir(path, 0o755) == 0 {
                guard mkdir(path + "/steps", 0o755) == 0 else { throw failure("cannot create", path + "/steps") }
                return RunDirectory(runID: runID, path: path, workflowFolder: workflowFolder)
            }
            guard errno == EEXIST else { throw failure("cannot create", path) }
        }
        throw RunStoreError("cannot find a free run id in \(workflowFolder)")
    }

    /// An existing run folder, for `pflow resume`: it must hold a run.json.
    public static func open(_ path: String) throws(RunStoreError) -> RunDirectory {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        let absolute = trimmed.hasPrefix("/") ? trimmed : FileManager.default.currentDirectoryPath + "/" + trimmed
        // Resolved with realpath(3), so that `runs/x/latest` continues the run it points at
        // under its own id; Foundation's resolvingSymlinksInPath left `latest` unresolved.
        guard let real = realpath(absolute, nil) else {
            throw RunStoreError("\(path) is not a run directory: no such folder")
        }
        let resolved = String(cString: real)
        free(real)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RunStoreError("\(path) is not a run directory: no such folder")
        }
        guard FileManager.default.fileExists(atPath: resolved + "/run.json") else {
            throw RunStoreError("\(path) is not a run directory: it has no run.json")
        }
        let folder = (resolved as NSString).deletingLastPathComponent
        return RunDirectory(runID: (resolved as NSString).lastPathComponent, path: resolved, workflowFolder: folder)
    }

    /// Takes the run's lock for as long as the returned value lives (the process, in
    /// practice): a `pflow resume` of a run that is still going fails instead of racing it.
    /// The kernel drops the lock when the process dies, even by SIGKILL.
    public func lock() throws(RunStoreError) -> RunLock {
        try RunLock(directory: path)
    }

    /// Points `runs/<name>/latest` at this run, atomically.
    public func markLatest() throws(RunStoreError) {
        try AtomicFile.replaceSymlink(at: workflowFolder + "/latest", pointingTo: runID)
    }

    /// Workflow names become folder names: keep them to one safe path component.
    static func safeName(_ name: String) -> String {
        var safe = String(name.map { $0 == "/" || $0 == "\0" ? "_" : $0 })
        if safe.isEmpty || safe.hasPrefix(".") { safe = "_" + safe }
        return safe
    }

    private static func failure(_ action: String, _ path: String) -> RunStoreError {
        RunStoreError("\(action) \(path): \(String(cString: strerror(errno)))")
    }
}
