import Foundation
import Testing

/// Headless Chromium (Debian's `chromium`; `make setup-browser` installs it), when present.
enum Chromium {
    static let path: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin")
        .split(separator: ":").map { $0 + "/chromium" }.first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The page's DOM after load and scripts, as `--dump-dom` serialises it.
    static func dumpDOM(of file: URL) async throws -> String {
        let profile = try TemporaryDirectory(prefix: "pflow-chromium")
        defer { profile.remove() }
        let child = try ChildProcess(
            executable: URL(fileURLWithPath: try #require(path)),
            arguments: [
                "--headless", "--disable-gpu", "--no-sandbox", "--user-data-dir=\(profile.url.path)",
                "--dump-dom", file.absoluteString,
            ])
        let result = await child.wait(limit: .seconds(120))
        guard result.exitCode == 0, result.stdout.contains("</html>") else {
            throw HarnessError("chromium exited \(result.exitCode): \(result.stderr.suffix(2000))")
        }
        return result.stdout
    }
}

/// The report of a real run against the mock server, loaded in a real browser: it renders
/// without script errors and shows each kind of trouble distinctly.
@Suite("report.html in headless Chromium")
struct ReportBrowserE2ETests {
    /// brief → five analysts (a 429 with Retry-After then success, a 503 then success, one
    /// quick, one that times out twice, one that hangs until cancelled as a straggler once
    /// three succeeded) → synthesis. The 429's Retry-After (2 s) makes sure `slow` has
    /// timed out twice (2 × 300 ms) before `min_success` is met.
    static let steps = """
          - id: brief
            prompt: "[mock:step=brief] Brief <script>document.title='owned'</script>"
          - parallel:
              id: analysts
              min_success: 3
              stragglers: cancel
              steps:
                - id: limited
                  retries: 2
                  prompt: "[mock:step=limited fail-first=1 status=429 retry-after=2] go"
                - id: flaky
                  retries: 2
                  prompt: "[mock:step=flaky fail-first=1 status=503] go"
                - id: quick
                  prompt: "[mock:step=quick] go"
                - id: slow
                  timeout: 300ms
                  retries: 1
                  prompt: "[mock:step=slow latency=5s] go"
                - id: straggler
                  prompt: "[mock:step=straggler hang] go"
          - id: synthesis
            prompt: "[mock:step=synthesis] {{ steps.analysts.outputs }}"
        """

    @Test(.enabled(if: Chromium.path != nil, "chromium is not installed: `make setup-browser` installs it"))
    func reportShowsRetriesRateLimitsTimeoutsAndStragglers() async throws {
        try await withMockServerProcess { server in
            let workflow = try ServerWorkflow("browsed", server: server, steps: Self.steps)
            defer { workflow.remove() }
            let result = try await workflow.run()
            #expect(result.exitCode == 0, "\(result.stderr)")
            let dom = try await Chromium.dumpDOM(
                of: try workflow.runDirectory().appendingPathComponent("report.html"))

            #expect(dom.contains("data-rendered=\"yes\""), "the page's script ran to its end")
            #expect(!dom.contains("data-script-error=\""), "no script error on the page")
            #expect(dom.contains("&lt;script&gt;document.title='owned'"), "an answer is text")
            #expect(!dom.contains("<title>owned</title>"), "an answer's script never runs")

            // The step table's row of `id` (the timeline before it has rows with the same attributes).
            let table = dom[(dom.range(of: "<table id=\"step-table\"")?.lowerBound ?? dom.endIndex)...]
            func row(_ id: String) -> Substring {
                guard let start = table.range(of: "data-step=\"\(id)\" data-status="),
                    let end = table[start.upperBound...].range(of: "</tr>")
                else { return "" }
                return table[start.lowerBound..<end.upperBound]
            }
            #expect(row("limited").contains("data-status=\"succeeded\""))
            #expect(row("limited").contains("attempt-rate-limited"))
            #expect(row("limited").contains("attempt-backoff"))
            #expect(row("flaky").contains("data-status=\"succeeded\""))
            #expect(row("flaky").contains("attempt-failed"))
            #expect(row("slow").contains("data-status=\"timed_out\""))
            #expect(row("slow").components(separatedBy: "attempt-timed-out").count == 3)
            #expect(row("straggler").contains("data-status=\"cancelled\""))
            #expect(row("straggler").contains("attempt-cancelled"))
            #expect(row("quick").contains("data-status=\"succeeded\">"), "quick is not on the critical path")
            #expect(dom.contains("3 of 5 succeeded, min_success 3 met"))
            #expect(dom.contains("<td>1 cancelled</td>"))
            // The critical path is run.json's, every step of it starred in the table, in order on the page.
            let manifest = try workflow.output().manifest()
            let critical = try #require(manifest[path: "critical_path", "steps"] as? [String])
            #expect(critical.first == "brief" && critical.last == "synthesis")
            for id in critical { #expect(row(id).contains("data-critical=\"yes\""), "\(id)") }
            let chain = critical.map { "<span class=\"critical-step\">\($0)</span>" }.joined(separator: " → ")
            #expect(dom.contains("wall: \(chain)</p>"))
            #expect(dom.contains("<rect class=\"seg seg-rate-limited\""))
            #expect(dom.contains("<rect class=\"seg seg-timed-out\""))
            #expect(dom.contains("<rect class=\"seg seg-cancelled\""))
            #expect(dom.contains("<rect class=\"seg seg-backoff\""))
        }
    }
}
