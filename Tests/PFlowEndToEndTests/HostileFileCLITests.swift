import Foundation
import Testing

/// Hostile inputs that need the disk, through the built binary: a file too large to read,
/// map files that lead outside the workflow's folder, a million-item map, input files that
/// are not files, and text that would drive the terminal.
@Suite struct HostileFileCLITests {
    /// A workflow with one map over `source` (a YAML flow mapping such as `{ glob: "*.txt" }`).
    static func mapWorkflow(
        over source: String, inputs: String = "", prompt: String = "{{ item }}", minSuccess: String = "all"
    ) -> String {
        """
        version: 1
        name: hostile
        \(inputs)providers: { m: { kind: mock } }
        defaults: { provider: m }
        steps:
          - map:
              id: each
              over: \(source)
              as: item
              min_success: \(minSuccess)
              step: { prompt: "\(prompt)" }

        """
    }

    @Test func aHundredMegabyteFileIsRefusedBySizeBeforeItIsRead() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try directory.sparseFile("large.yaml", size: 100 << 20)

        // No line:column in the message: it comes from stat, before the file was opened.
        // The YAML parser's own size check would say large.yaml:1:1.
        let refusal = "large.yaml: error: the file is 104857600 bytes; workflow files are limited to 8388608 bytes"
        let plan = try await runPFlow(["plan", "large.yaml"], cwd: directory.url, limit: .seconds(30))
        #expect(plan.exitCode == 2)
        #expect(plan.stderr == refusal + "\n1 error in large.yaml; nothing to plan\n")
        let validate = try await runPFlow(["validate", "large.yaml"], cwd: directory.url, limit: .seconds(30))
        #expect(validate.exitCode == 2)
        #expect(validate.stderr == refusal + "\n1 error, 0 warnings in 1 file\n")
    }

    @Test func aGlobMatchThatIsASymlinkOutsideTheFolderIsRefusedUnlessAllowed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (workflow, secret) = try directory.symlinkEscape(
            workflowText: Self.mapWorkflow(over: #"{ glob: "*.txt" }"#))
        let realSecret = try #require(realpath(secret.path, nil).map { String(cString: $0) })

        for command in ["validate", "plan"] {
            let refused = try await runPFlow([command, "w.yaml"], cwd: workflow.deletingLastPathComponent())
            #expect(refused.exitCode == 2)
            #expect(
                refused.stderr.hasPrefix(
                    """
                    w.yaml:8:21: error: '*.txt' reaches outside the workflow's folder: 'leak.txt' resolves to '\(realSecret)'
                        note: pass --allow-outside to allow it

                    """))
            #expect(refused.stdout == "")
        }
        let allowed = try await runPFlow(["plan", "--allow-outside", workflow.path])
        #expect(allowed.exitCode == 0)
        #expect(allowed.stdout.contains("  1  width 2  each (map × 2)\n"))
    }

    @Test func aLinesFileReachedThroughASymlinkedFolderIsRefusedUnlessAllowed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try directory.file("shared/list.txt", contents: "a\nb\n")
        let workflow = try directory.file("wf/w.yaml", contents: Self.mapWorkflow(over: "{ lines: linked/list.txt }"))
        try FileManager.default.createSymbolicLink(
            atPath: directory.url.appendingPathComponent("wf/linked").path,
            withDestinationPath: directory.url.appendingPathComponent("shared").path)

        let refused = try await runPFlow(["validate", workflow.path])
        #expect(refused.exitCode == 2)
        #expect(
            refused.stderr.contains(
                "w.yaml:8:22: error: 'linked/list.txt' reaches outside the workflow's folder: 'linked/list.txt' resolves to '"
            ))
        let allowed = try await runPFlow(["validate", "--allow-outside", workflow.path])
        #expect(allowed.exitCode == 0)
        #expect(allowed.stdout == "ok: \(workflow.path)\n")
    }

    @Test func dotDotIsAnErrorUnlessAllowedAndThenCounted() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try directory.file("shared/list.txt", contents: "a\n\n  \nb\r\nc")
        let workflow = try directory.file(
            "wf/w.yaml", contents: Self.mapWorkflow(over: "{ lines: ../shared/list.txt }"))
        let cwd = workflow.deletingLastPathComponent()

        let refused = try await runPFlow(["plan", "w.yaml"], cwd: cwd)
        #expect(refused.exitCode == 2)
        #expect(
            refused.stderr.hasPrefix("w.yaml:8:22: error: '../shared/list.txt' reaches outside the workflow's folder\n")
        )
        let allowed = try await runPFlow(["plan", "--allow-outside", "w.yaml"], cwd: cwd)
        #expect(allowed.exitCode == 0)
        #expect(allowed.stdout.contains("  1  width 3  each (map × 3)\n"))
    }

    @Test func aMillionItemMapIsCountedAndWarnedAbout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let list = directory.url.appendingPathComponent("million.txt")
        var text = Data()
        text.reserveCapacity(2_000_000)
        for _ in 0..<1_000_000 { text.append(contentsOf: [UInt8(ascii: "x"), UInt8(ascii: "\n")]) }
        try text.write(to: list)
        _ = try directory.file("w.yaml", contents: Self.mapWorkflow(over: "{ lines: million.txt }"))

        let warning = """
            w.yaml:8:22: warning: map 'each' expands to 1000000 branches, each at least one request
                note: more than 10000 branches is more often a wrong file or pattern than a plan
            """
        let validate = try await runPFlow(["validate", "w.yaml"], cwd: directory.url)
        #expect(validate.exitCode == 0)
        #expect(validate.stdout == "ok: w.yaml (1 warning)\n")
        #expect(validate.stderr.hasPrefix(warning + "\n"))
        let plan = try await runPFlow(["plan", "w.yaml"], cwd: directory.url)
        #expect(plan.exitCode == 0)
        #expect(plan.stderr.hasPrefix(warning + "\n"))
        #expect(plan.stdout.contains("  1  width 1000000  each (map × 1000000)\n"))
    }

    @Test func anInputFileThatIsMissingADirectoryOrAFIFOLeavesTheMapDynamic() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let inputs = "inputs: { topics: { file: true } }\n"
        _ = try directory.file("w.yaml", contents: Self.mapWorkflow(over: "{ input: topics }", inputs: inputs))
        try FileManager.default.createDirectory(
            at: directory.url.appendingPathComponent("folder"), withIntermediateDirectories: true)
        #expect(mkfifo(directory.url.appendingPathComponent("fifo").path, 0o600) == 0)

        let expectations = [
            "missing.txt": "cannot read the file: No such file or directory",
            "folder": "is a directory, not a file",
            "fifo": "is not a regular file",
        ]
        for (path, problem) in expectations.sorted(by: { $0.key < $1.key }) {
            let result = try await runPFlow(
                ["plan", "w.yaml", "--input", "topics=\(path)"], cwd: directory.url, limit: .seconds(30))
            #expect(!result.timedOut, "\(path)")
            #expect(result.exitCode == 0)
            #expect(result.stdout.contains("each (map × dynamic)"))
            #expect(
                result.stdout.contains("note: map 'each': \(path) (input 'topics') \(problem); its width is dynamic\n"))
        }
    }

    @Test func controlCharactersFromTheFileNeverReachTheTerminal() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try directory.file(
            "w.yaml",
            contents: #"""
                version: 1
                "\e]0;owned\a\e[2J": 1
                steps:
                  - id: a
                    prompt: hi

                """#)
        let result = try await runPFlow(["validate", "w.yaml"], cwd: directory.url)
        #expect(result.exitCode == 2)
        #expect(!result.stderr.contains("\u{1B}"))
        #expect(!result.stderr.contains("\u{07}"))
        #expect(result.stderr.hasPrefix("w.yaml:2:1: error: unknown key '␛]0;owned␇␛[2J' in the workflow\n"))
    }
}
