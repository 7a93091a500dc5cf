import Foundation

/// Where the built `pflow` and `pflow-mock-server` binaries are.
///
/// Why #filePath: `swift test` builds every product into the package's `.build/debug`,
/// and this file's path leads back to the package root wherever the clone lives.
/// `PFLOW_BIN_DIR` points elsewhere, e.g. at a release build.
enum BuildProducts {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // PFlowEndToEndTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static var binDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["PFLOW_BIN_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }

    static func executable(_ name: String) throws -> URL {
        let url = binDirectory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw HarnessError("\(url.path) is not built; run `swift build` first")
        }
        return url
    }
}

/// A failure of the test harness itself, not of the code under test.
struct HarnessError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A fresh temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init(prefix: String = "pflow-e2e") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String, contents: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// A workflow folder `wf/` holding `workflowText` as `w.yaml`, an honest `notes.txt`, and
    /// `leak.txt`, a symlink to `secret/key.txt` outside the folder: the layout every
    /// escape test starts from. Returns the workflow file and the secret.
    func symlinkEscape(workflowText: String) throws -> (workflow: URL, secret: URL) {
        let secret = try file("secret/key.txt", contents: "not for the model\n")
        _ = try file("wf/notes.txt", contents: "fine\n")
        let workflow = try file("wf/w.yaml", contents: workflowText)
        try FileManager.default.createSymbolicLink(
            atPath: url.appendingPathComponent("wf/leak.txt").path, withDestinationPath: secret.path)
        return (workflow, secret)
    }

    /// A file of `size` bytes that takes no disk space: for size limits without the cost.
    func sparseFile(_ name: String, size: UInt64) throws -> URL {
        let file = url.appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        try handle.truncate(atOffset: size)
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
