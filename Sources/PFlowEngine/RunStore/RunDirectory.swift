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
    public static func create(root: String, workflowName: String, now: Date = Date()) throws(RunStoreError) -> RunDirectory {
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
