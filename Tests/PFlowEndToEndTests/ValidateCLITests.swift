import Foundation
import Testing

/// `pflow validate` as a user runs it: the built binary, its streams and exit code.
@Suite struct ValidateCLITests {
    let root = BuildProducts.packageRoot

    @Test func everyExampleIsValid() async throws {
        let examples = ["due-diligence", "nested-lanes", "research-papers", "vote"].map { "workflows/\($0).yaml" }
        let result = try await runPFlow(["validate"] + examples, cwd: root)
        #expect(result.exitCode == 0)
        #expect(result.stdout == examples.map { "ok: \($0)\n" }.joined())
        #expect(result.stderr == "")
    }

    @Test func errorsArePrintedLikeACompilerAndExitTwo() async throws {
        let result = try await runPFlow(["validate", "Tests/Fixtures/graph/references.yaml"], cwd: root)
        #expect(result.exitCode == 2)
        #expect(result.stdout == "")
        #expect(
            result.stderr.hasPrefix(
                """
                Tests/Fixtures/graph/references.yaml:10:33: error: step 'financials' is not guaranteed to have \
                finished before 'press'; add needs: [financials]
                 10 |           prompt: "Compare with {{ steps.financials.output }}"
                    |                                 ^

                """))
        #expect(result.stderr.hasSuffix("4 errors, 0 warnings in 1 file\n"))
        #expect(!result.stderr.contains("\u{1B}["), "no colour off a terminal")
    }

    @Test func fiveMistakesGiveFiveDiagnostics() async throws {
        let result = try await runPFlow(["validate", "Tests/Fixtures/invalid/five-mistakes.yaml"], cwd: root)
        #expect(result.exitCode == 2)
        let headers = result.stderr.split(separator: "\n").filter { $0.hasPrefix("Tests/Fixtures/invalid/") }
        #expect(
            headers.map { $0.split(separator: ":").dropFirst().prefix(2).joined(separator: ":") }
                == ["7:5", "12:27", "13:20", "15:21", "19:9"])
    }

    @Test func colourIsForcedByTheOptionAndNeverOtherwise() async throws {
        let file = "Tests/Fixtures/graph/cycle.yaml"
        let always = try await runPFlow(["validate", "--color", "always", file], cwd: root)
        #expect(always.stderr.contains("\u{1B}[1;31merror:\u{1B}[0m"))
        let never = try await runPFlow(["validate", "--color", "never", file], env: ["TERM": "xterm"], cwd: root)
        #expect(!never.stderr.contains("\u{1B}["))
        #expect(always.exitCode == 2 && never.exitCode == 2)
    }

    @Test func aFieldTheSchemaLacksAndAnUnsupportedKeywordAreReportedWhereWritten() async throws {
        let result = try await runPFlow(
            [
                "validate", "--color", "never", "Tests/Fixtures/invalid/json-reference.yaml",
                "Tests/Fixtures/invalid/schema-keyword.yaml",
            ], cwd: root)
        #expect(result.exitCode == 2)
        #expect(
            result.stderr.contains(
                "Tests/Fixtures/invalid/json-reference.yaml:20:13: error: 'steps.extract.json.titel': the answer has no field 'titel' in its schema\n    note: did you mean 'title'?"
            ), "\(result.stderr)")
        #expect(
            result.stderr.contains(
                "Tests/Fixtures/invalid/schema-keyword.yaml:8:32: error: schema keyword 'pattern' is not supported"))
    }

    @Test func aSchemaFileIsReadBesideTheWorkflow() async throws {
        let result = try await runPFlow(["validate", "workflows/extract-papers.yaml"], cwd: root)
        #expect(result.exitCode == 0, "\(result.stderr)")
    }

    @Test func jsonReportsEveryFileWithFlatDiagnostics() async throws {
        let result = try await runPFlow(
            ["validate", "--format", "json", "workflows/vote.yaml", "Tests/Fixtures/graph/cycle.yaml"], cwd: root)
        #expect(result.exitCode == 2)
        let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let files = try #require(document?["files"] as? [[String: Any]])
        #expect(files.map { $0["file"] as? String } == ["workflows/vote.yaml", "Tests/Fixtures/graph/cycle.yaml"])
        #expect(files.map { $0["valid"] as? Bool } == [true, false])
        let diagnostics = try #require(files.last?["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.count == 3)
        let first = try #require(diagnostics.first)
        #expect(Set(first.keys) == ["severity", "message", "file", "line", "column", "notes"])
        #expect(first["severity"] as? String == "error")
        #expect(first["line"] as? Int == 10)
        #expect(first["column"] as? Int == 19)
        #expect((first["notes"] as? [String])?.count == 3)
    }

    @Test func whatCannotBeReadIsADiagnosticNotACrashOrAHang() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let large = try directory.sparseFile("large.yaml", size: 64 << 20)
        let fifo = directory.url.appendingPathComponent("fifo.yaml")
        #expect(mkfifo(fifo.path, 0o600) == 0)

        let result = try await runPFlow(
            ["validate", "missing.yaml", directory.url.path, large.path, fifo.path], cwd: directory.url,
            limit: .seconds(30))
        #expect(!result.timedOut)
        #expect(result.exitCode == 2)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(
            lines == [
                "missing.yaml: error: cannot read the file: No such file or directory",
                "\(directory.url.path): error: is a directory, not a workflow file",
                "\(large.path): error: the file is 67108864 bytes; workflow files are limited to 8388608 bytes",
                "\(fifo.path): error: is not a regular file",
                "4 errors, 0 warnings in 4 files",
            ])
    }

    @Test(arguments: [["validate"], ["bogus"], ["validate", "--format", "yaml", "x.yaml"], ["plan"]])
    func anInvalidCommandLineExitsTwo(arguments: [String]) async throws {
        let result = try await runPFlow(arguments, cwd: root)
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("Usage:") || result.stderr.contains("Error:"))
    }
}

/// The caret line under a diagnostic comes from the same line table as its line number.
@Suite struct LineEndingCLITests {
    @Test(arguments: ["\r\n", "\r"])
    func theSnippetIsTheLineTheDiagnosticNames(lineEnd: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let text = [
            "version: 1", "name: x", "providers: { m: { kind: mock } }", "defaults: { provider: m }", "steps:",
            "  - id: a", "    promt: hi", "",
        ].joined(separator: lineEnd)
        _ = try directory.file("w.yaml", contents: text)
        let result = try await runPFlow(["validate", "w.yaml"], cwd: directory.url)
        #expect(result.exitCode == 2)
        #expect(
            result.stderr.hasPrefix(
                """
                w.yaml:7:5: error: unknown key 'promt' in a step
                    note: did you mean 'prompt'?
                 7 |     promt: hi
                   |     ^

                """))
    }
}
