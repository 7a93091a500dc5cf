import Foundation
import Testing

/// Run directories under an unusable or full disk, and runs that must not touch each
/// other, through the real binary.
@Suite("pflow run and the disk")
struct DiskE2ETests {
    static let offline = """
        version: 1
        name: offline
        steps:
          - id: one
            prompt: first
          - id: two
            prompt: "second, after {{ steps.one.output }}"
        """

    /// `--out` under a regular file fails for root too (permission bits would not).
    @Test func anOutputFolderThatCannotBeCreatedIsASetupError() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.file("flow.yaml", contents: Self.offline)
        _ = try directory.file("blocked", contents: "a file, not a folder")
        let out = directory.url.appendingPathComponent("blocked/runs").path
        let result = try await runPFlow(["run", file.path, "--out", out], cwd: directory.url)
        #expect(result.exitCode == 2)
        #expect(result.stderr.hasPrefix("error: cannot create run folder \(out)/offline"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test(.enabled(if: TinyDisk.isAvailable))
    func aFullDiskBeforeTheRunStartsIsASetupError() async throws {
        let disk = try TinyDisk()
        defer { disk.remove() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.file("flow.yaml", contents: Self.offline)
        disk.fill()
        let result = try await runPFlow(["run", file.path, "--out", disk.path, "--mock"], cwd: directory.url)
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("No space left on device"), "\(result.stderr)")
    }

    /// The disk fills while a step is waiting for its answer: the step fails with a `disk`
    /// error, the run fails (exit 1) and says why, and once there is room again
    /// `pflow resume` finishes it.
    @Test(.enabled(if: TinyDisk.isAvailable))
    func aDiskThatFillsMidRunFailsTheRunWhichResumesOnceThereIsRoom() async throws {
        let disk = try TinyDisk()
        defer { disk.remove() }
        try await withMockServerProcess { server in
            let workflow = try ServerWorkflow(
                "full", server: server,
                steps: """
                      - id: one
                        prompt: "[mock:step=one] go"
                      - id: two
                        prompt: "[mock:step=two latency=5s] go"
                    """)
            defer { workflow.remove() }
            let child = try startPFlow(
                ["run", workflow.file.path, "--out", disk.path], env: workflow.environment, cwd: workflow.directory.url)
            // Once one's record exists, two's request is on its way and takes 5 s: room for a
            // loaded machine to fill the disk first (1.5 s was not, twice in a full suite). (Waiting
            // for one.md instead raced the record written just after it: under load the disk
            // filled in between, and resume rightly ran `one` again.)
            let folder = URL(fileURLWithPath: disk.path).appendingPathComponent("full")
            child.whileRunning(
                when: {
                    FileManager.default.fileExists(atPath: folder.appendingPathComponent("latest/steps/one.json").path)
                },
                do: { disk.fill() })
            let result = await child.wait()
            #expect(result.exitCode == 1, "\(result.stderr)")
            #expect(result.stdout.contains("No space left on device"), "\(result.stdout)")
            let output = try RunOutput(out: URL(fileURLWithPath: disk.path), name: "full")
            #expect(output.files["steps/one.md"] != nil)
            #expect(output.files["steps/two.md"] == nil)
            _ = try output.manifest()

            disk.unfill()
            let target = try FileManager.default.destinationOfSymbolicLink(
                atPath: folder.appendingPathComponent("latest").path)
            let resumed = try await runPFlow(
                ["resume", folder.appendingPathComponent(target).path], env: workflow.environment)
            #expect(resumed.exitCode == 0, "\(resumed.stderr)")
            let stats = try await server.stats()
            #expect(stats.byStep["one"]?.requests == 1)
            #expect(stats.byStep["two"]?.requests == 2)
        }
    }

    /// Runs started together get their own folders; a later run changes nothing of an
    /// earlier one, and `latest` always names a complete run directory.
    @Test func runsNeverShareOrOverwriteADirectory() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.file("flow.yaml", contents: Self.offline)
        let out = directory.url.appendingPathComponent("runs")
        let arguments = ["run", file.path, "--out", out.path, "--quiet"]
        let together = try (0..<4).map { _ in try startPFlow(arguments, cwd: directory.url) }
        for child in together { #expect(await child.wait().exitCode == 0) }

        let folder = out.appendingPathComponent("offline")
        let runs = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0 != "latest" }.sorted()
        #expect(runs.count == 4)
        let snapshot = try runs.map { try Self.contents(of: folder.appendingPathComponent($0)) }
        for files in snapshot {
            #expect(
                files.keys.sorted() == [
                    "events.jsonl", "report.html", "result.md", "run.json", "steps/one.json", "steps/one.md",
                    "steps/two.json", "steps/two.md",
                ])
        }

        #expect(try await runPFlow(arguments, cwd: directory.url).exitCode == 0)
        let after = try runs.map { try Self.contents(of: folder.appendingPathComponent($0)) }
        #expect(after == snapshot)
        let latest = try FileManager.default.destinationOfSymbolicLink(
            atPath: folder.appendingPathComponent("latest").path)
        #expect(!runs.contains(latest))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(latest + "/run.json").path))
        // Nothing but run folders and `latest`: no temporary left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 6)
    }

    private static func contents(of run: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.subpathsOfDirectory(atPath: run.path) {
            let url = run.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue
            else { continue }
            files[name] = try Data(contentsOf: url)
        }
        return files
    }
}

/// A 512 KiB tmpfs, for running out of space for real. Needs CAP_SYS_ADMIN (root in this
/// container); the tests that use it are skipped where it cannot be mounted.
struct TinyDisk {
    let path: String
    private var filler: String { path + "/.filler" }

    static let isAvailable: Bool = {
        guard let disk = try? TinyDisk() else { return false }
        disk.remove()
        return true
    }()

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("pflow-tiny-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mount("tmpfs", path, "tmpfs", 0, "size=512k") == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: path)
            throw HarnessError("cannot mount a tmpfs at \(path): \(reason)")
        }
    }

    /// Writes until the disk says it is full.
    func fill() {
        let fd = open(filler, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 4096)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
    }

    func unfill() {
        unlink(filler)
    }

    func remove() {
        umount2(path, Int32(MNT_DETACH))
        rmdir(path)
    }
}
