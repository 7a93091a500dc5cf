import Foundation
import Testing

/// report.html, `pflow report`, `pflow show` and `pflow runs` on runs of the real binary.
@Suite("Run reports, show and runs")
struct ReportE2ETests {
    /// A workflow on the built-in mock provider, in its own folder.
    private func mockWorkflow(
        _ name: String, provider: String = "{ kind: mock, latency: 0ms }", steps: String
    ) throws -> (TemporaryDirectory, URL) {
        let directory = try TemporaryDirectory()
        let file = try directory.file(
            "\(name).yaml",
            contents: """
                version: 1
                name: \(name)
                providers:
                  fast: \(provider)
                defaults: { provider: fast, retries: 0 }
                steps:
                \(steps)
                """)
        return (directory, file)
    }

    private static let twoSteps = """
          - id: first
            prompt: Say <b>hello</b>.
          - id: second
            prompt: "Repeat: {{ steps.first.output }}"
        """

    @Test func runLeavesReportAndNamesIt() async throws {
        let (directory, file) = try mockWorkflow("reported", steps: Self.twoSteps)
        defer { directory.remove() }
        let result = try await runPFlow(["run", file.path, "--out", "runs"], cwd: directory.url)
        #expect(result.exitCode == 0, "\(result.stderr)")
        let output = try RunOutput(out: directory.url.appendingPathComponent("runs"), name: "reported")
        let html = try #require(output.files["report.html"])
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.contains("data-run-status=\"succeeded\""))
        #expect(html.contains("data-step=\"first\" data-status=\"succeeded\" data-critical=\"yes\""))
        #expect(!html.contains("<b>hello</b>"))
        #expect(!html.contains("http://") && !html.contains("https://"), "the page fetches nothing")
        let reportLine = try #require(result.stdout.split(separator: "\n").last)
        #expect(reportLine.hasPrefix("  report        runs/reported/"))
        #expect(reportLine.hasSuffix("/report.html"))
    }

    @Test func failedRunLeavesReportToo() async throws {
        let (directory, file) = try mockWorkflow(
            "broken", provider: "{ kind: mock, latency: 0ms, failure_rate: 1 }", steps: "  - { id: only, prompt: go }")
        defer { directory.remove() }
        let result = try await runPFlow(["run", file.path, "--out", "runs"], cwd: directory.url)
        #expect(result.exitCode == 1, "\(result.stderr)")
        let html = try #require(
            try RunOutput(out: directory.url.appendingPathComponent("runs"), name: "broken").files["report.html"])
        #expect(html.contains("data-run-status=\"failed\""))
        #expect(html.contains("data-step=\"only\" data-status=\"failed\""))
        #expect(html.contains("injected failure"))
    }

    @Test func interruptedAndResumedRunsRewriteTheReport() async throws {
        try await withMockServerProcess { server in
            let workflow = try ServerWorkflow(
                "paused", server: server,
                steps: """
                      - id: quick
                        prompt: "[mock:step=quick] go"
                      - id: stuck
                        prompt: "[mock:step=stuck hang] go"
                    """)
            defer { workflow.remove() }
            let child = try workflow.start()
            for _ in 0..<2000 where try await server.stats().inFlight < 1 {
                try await Task.sleep(for: .milliseconds(10))
            }
            child.signal(SIGINT)
            let interrupted = await child.wait()
            #expect(interrupted.exitCode == 130, "\(interrupted.stderr)")
            let report = try workflow.runDirectory().appendingPathComponent("report.html")
            let first = try String(contentsOf: report, encoding: .utf8)
            #expect(first.contains("data-run-status=\"interrupted\""))
            #expect(first.contains("data-step=\"stuck\" data-status=\"cancelled\""))

            try workflow.write(
                steps: """
                      - id: quick
                        prompt: "[mock:step=quick] go"
                      - id: stuck
                        prompt: "[mock:step=stuck] go"
                    """)
            let resumed = try await workflow.resume(["--force"])
            #expect(resumed.exitCode == 0, "\(resumed.stderr)")
            #expect(resumed.stdout.contains("report.html"))
            let second = try String(contentsOf: report, encoding: .utf8)
            #expect(second.contains("data-run-status=\"succeeded\""))
            #expect(second.contains("resumed 1×"))
        }
    }

    @Test func aRateLimitWaitIsRecordedAndDrawnApart() async throws {
        let (directory, file) = try mockWorkflow(
            "paced", provider: "{ kind: mock, latency: 0ms, requests_per_minute: 60 }",
            steps: "  - parallel: { id: both, steps: [{ id: a, prompt: A }, { id: b, prompt: B }] }")
        defer { directory.remove() }
        let result = try await runPFlow(["run", file.path, "--out", "runs"], cwd: directory.url)
        #expect(result.exitCode == 0, "\(result.stderr)")
        let output = try RunOutput(out: directory.url.appendingPathComponent("runs"), name: "paced")
        // One request a second: whichever went second waited for the limiter, not for a slot.
        let waits = try ["a", "b"].compactMap { id in
            (try output.step(id)["attempts"] as? [[String: Any]])?.first?["rate_limit_wait_seconds"] as? Double
        }
        #expect(waits.count == 1)
        #expect((waits.first ?? 0) > 0.5)
        #expect(output.files["report.html"]?.contains("<rect class=\"seg seg-rate-wait\"") == true)
    }

    @Test func reportCommandWritesWhereAsked() async throws {
        let (directory, file) = try mockWorkflow("again", steps: Self.twoSteps)
        defer { directory.remove() }
        _ = try await runPFlow(["run", file.path, "--out", "runs", "--quiet"], cwd: directory.url)
        let result = try await runPFlow(
            ["report", "runs/again/latest", "-o", "elsewhere.html"], cwd: directory.url)
        #expect(result.exitCode == 0, "\(result.stderr)")
        #expect(result.stdout == "elsewhere.html\n")
        let html = try String(contentsOf: directory.url.appendingPathComponent("elsewhere.html"), encoding: .utf8)
        #expect(html.contains("data-step=\"second\""))

        let missing = try await runPFlow(["report", "runs/nothing"], cwd: directory.url)
        #expect(missing.exitCode == 2)
        #expect(missing.stderr == "error: runs/nothing is not a run directory: no such folder\n")
    }

    /// `--open` hands the written file to the desktop's opener; without one it says where
    /// the report is and still succeeds. A stand-in `xdg-open` records what it was given.
    @Test func reportOpenHandsTheFileToXdgOpen() async throws {
        let (directory, file) = try mockWorkflow("opened", steps: Self.twoSteps)
        defer { directory.remove() }
        _ = try await runPFlow(["run", file.path, "--out", "runs", "--quiet"], cwd: directory.url)
        let bin = directory.url.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let opener = bin.appendingPathComponent("xdg-open")
        let received = directory.url.appendingPathComponent("opened.txt")
        try "#!/bin/sh\nprintf '%s' \"$1\" > '\(received.path).tmp' && mv '\(received.path).tmp' '\(received.path)'\n"
            .write(to: opener, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: opener.path)

        let result = try await runPFlow(
            ["report", "runs/opened/latest", "-o", "shown.html", "--open"], env: ["PATH": bin.path + ":/usr/bin:/bin"],
            cwd: directory.url)
        #expect(result.exitCode == 0, "\(result.stderr)")
        // pflow does not wait for the opener (a browser it starts may run for hours).
        let deadline = ContinuousClock.now + .seconds(30)
        while !FileManager.default.fileExists(atPath: received.path), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try String(contentsOf: received, encoding: .utf8) == "shown.html")

        let without = try await runPFlow(
            ["report", "runs/opened/latest", "-o", "unopened.html", "--open"], env: ["PATH": "/nonexistent"],
            cwd: directory.url)
        #expect(without.exitCode == 0, "\(without.stderr)")
        #expect(without.stderr.contains("no xdg-open to open the report with; open unopened.html in a browser"))
    }

    @Test func showPrintsTheRunsOwnSummary() async throws {
        let (directory, file) = try mockWorkflow("shown", steps: Self.twoSteps)
        defer { directory.remove() }
        let run = try await runPFlow(["run", file.path, "--out", "runs", "--quiet"], cwd: directory.url)
        let shown = try await runPFlow(["show", "runs/shown/latest"], cwd: directory.url)
        #expect(shown.exitCode == 0, "\(shown.stderr)")
        // Times are read back rounded to the millisecond; everything from the step counts on
        // is the same text.
        let runLines = run.stdout.split(separator: "\n")
        let shownLines = shown.stdout.split(separator: "\n")
        #expect(shownLines.first?.hasPrefix("succeeded in ") == true)
        #expect(shownLines.count == runLines.count)
        #expect(Array(shownLines.dropFirst(2)) == Array(runLines.dropFirst(2)))

        let missing = try await runPFlow(["show", "nowhere"], cwd: directory.url)
        #expect(missing.exitCode == 2)
        #expect(missing.stderr == "error: nowhere is not a run directory: no such folder\n")
    }

    @Test func runsListsNewestFirst() async throws {
        let (directory, file) = try mockWorkflow("listed", steps: Self.twoSteps)
        defer { directory.remove() }
        let empty = try await runPFlow(["runs"], cwd: directory.url)
        #expect(empty.stdout == "no runs in runs\n")
        for _ in 0..<2 { _ = try await runPFlow(["run", file.path, "--out", "runs", "--quiet"], cwd: directory.url) }
        let table = try await runPFlow(["runs"], cwd: directory.url)
        #expect(table.exitCode == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.first?.hasPrefix("NAME    ID") == true)

        let json = try await runPFlow(["runs", "--json"], cwd: directory.url)
        let runs = try #require(
            try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { $0["status"] as? String == "succeeded" && $0["requests"] as? Int == 2 })
        let started = runs.compactMap { $0["started_at"] as? String }
        #expect(started == started.sorted(by: >))
        #expect(lines[1].contains(runs[0]["id"] as? String ?? "?"))
    }

    @Test func tenThousandBranchesMakeASmallReport() async throws {
        let (directory, file) = try mockWorkflow(
            "wide",
            steps: """
                  - map:
                      id: docs
                      over: { lines: items.txt }
                      as: item
                      step:
                        prompt: "Summarise {{ item }}"
                """)
        defer { directory.remove() }
        _ = try directory.file("items.txt", contents: (0..<10_000).map { "item \($0)" }.joined(separator: "\n"))
        let result = try await runPFlow(
            ["run", file.path, "--out", "runs", "--quiet"], cwd: directory.url, limit: .seconds(600))
        #expect(result.exitCode == 0, "\(result.stderr)")
        let runs = directory.url.appendingPathComponent("runs/wide")
        let run = try FileManager.default.destinationOfSymbolicLink(atPath: runs.appendingPathComponent("latest").path)
        let report = runs.appendingPathComponent(run).appendingPathComponent("report.html")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: report.path)[.size] as? Int)
        #expect(size < 5_000_000)
        let html = try String(contentsOf: report, encoding: .utf8)
        #expect(html.contains("<g class=\"band\" data-block=\"docs\" data-branches=\"10000\">"))
        #expect(html.contains("10000 branches · p50 "))
    }
}
