import Foundation
import Testing

/// The live display as a terminal shows it: `pflow run` under a pseudo-terminal made by
/// util-linux `script`, its output cut into the frames it drew.
@Suite("Live display on a terminal")
struct LiveDisplayE2ETests {
    static let script = "/usr/bin/script"
    static let columns = 70

    /// A 300-item map on the mock at 50 ms, 20 at a time, one attempt in ten failing (the
    /// same ones every run) and retried: about a second of frames.
    static let workflow = """
        version: 1
        name: live
        providers:
          fast: { kind: mock, latency: 50ms, failure_rate: 0.1, price: { input_per_mtok: 1.0, output_per_mtok: 2.0 } }
        defaults: { provider: fast, retries: 2, backoff: { initial: 100ms, max: 200ms } }
        max_concurrency: 20
        steps:
          - id: brief
            prompt: Brief.
          - map:
              id: docs
              over: { lines: items.txt }
              as: doc
              min_success: 90%
              step:
                prompt: "Summarise {{ doc }}"
        """

    /// `pflow ARGUMENTS` under a pseudo-terminal: its exit code, its frames (the status
    /// areas it drew, in order) and what it printed after the last one (the summary).
    private func onTerminal(
        _ arguments: String, environment: [String: String] = [:], cwd: URL
    ) async throws -> (exitCode: Int32, frames: [String], summary: String, screen: String) {
        let pflow = try BuildProducts.executable("pflow").path
        let child = try ChildProcess(
            executable: URL(fileURLWithPath: Self.script),
            arguments: ["-q", "-e", "-c", "\(pflow) \(arguments)", "/dev/null"],
            environment: environment.merging(["COLUMNS": String(Self.columns)]) { $1 }, cwd: cwd)
        let result = await child.wait()
        // Each redraw moves the cursor up over the previous status area and clears below it.
        let screen = result.stdout.replacingOccurrences(of: "\r", with: "")
        let pieces = screen.components(separatedBy: "\u{1B}[J")
        let frames = pieces.dropLast().map { $0.replacing(#/\x1B\[\d+A/#, with: "") }
        return (result.exitCode, frames, pieces.last ?? "", screen)
    }

    static let enabled = FileManager.default.isExecutableFile(atPath: script)

    @Test(.enabled(if: enabled, "util-linux script is not installed"))
    func aRateLimitedStepIsShownWaiting() async throws {
        try await withMockServerProcess { server in
            let workflow = try ServerWorkflow(
                "paused", server: server,
                defaults: """
                      retries: 2
                      backoff: { initial: 10ms, max: 50ms }
                    """,
                steps: """
                      - id: limited
                        prompt: "[mock:step=limited fail-first=1 status=429 retry-after=1] go"
                    """)
            defer { workflow.remove() }
            let (exitCode, frames, _, screen) = try await onTerminal(
                "run \(workflow.file.path) --out runs", environment: workflow.environment, cwd: workflow.directory.url)
            #expect(exitCode == 0, "\(screen)")
            #expect(frames.contains { $0.contains("est. cost $0.0000  rate-limited 1") }, "\(screen)")
        }
    }

    /// With a budget, every frame shows what is spent against the caps: the dollars against
    /// `--max-cost` (tighter than the file's), the tokens against `max_tokens`.
    @Test(.enabled(if: enabled, "util-linux script is not installed"))
    func framesShowTheSpendAgainstTheBudget() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let capped = Self.workflow.replacingOccurrences(
            of: "max_concurrency: 20", with: "max_concurrency: 20\nbudget: { max_cost: 5, max_tokens: 400000 }")
        let file = try directory.file("live.yaml", contents: capped)
        _ = try directory.file("items.txt", contents: (0..<300).map { "doc \($0)" }.joined(separator: "\n"))
        let (exitCode, frames, summary, screen) = try await onTerminal(
            "run \(file.path) --out runs --max-cost 0.5", cwd: directory.url)
        #expect(exitCode == 0, "\(screen)")
        let budgetLine = #/  budget \$0\.(\d{4}) of \$0\.5000 spent, (\d+) of 400000 tokens/#
        let spent = frames.compactMap { frame in
            frame.firstMatch(of: budgetLine).map { (Int($0.1) ?? 0, Int($0.2) ?? 0) }
        }
        #expect(spent.count >= 2, "\(screen)")
        #expect(spent.contains { $0.0 > 0 && $0.1 > 0 }, "no frame showed any spend: \(screen)")
        #expect(frames.allSatisfy { frame in frame.split(separator: "\n").allSatisfy { $0.count <= Self.columns } })
        #expect(summary.contains("budget        $0."), "\(summary)")
    }

    @Test(.enabled(if: enabled, "util-linux script is not installed"))
    func framesShowAProgressBarPerMapWithinTheWidth() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.file("live.yaml", contents: Self.workflow)
        _ = try directory.file("items.txt", contents: (0..<300).map { "doc \($0)" }.joined(separator: "\n"))
        let (exitCode, frames, summary, screen) = try await onTerminal(
            "run \(file.path) --out runs", cwd: directory.url)
        #expect(exitCode == 0, "\(screen)")
        #expect(frames.count >= 2, "\(screen)")

        for line in frames.joined().split(separator: "\n") {
            #expect(line.count < Self.columns, "wider than the terminal: \(line)")
        }
        let bar = #/^  docs  [█░]+  (\d+)/300/#
        let progress = frames.flatMap { $0.split(separator: "\n") }.compactMap { line in
            (try? bar.firstMatch(in: String(line))).map { Int($0.1) ?? -1 }
        }
        #expect(!progress.isEmpty, "no progress bar for the map: \(screen)")
        #expect(progress == progress.sorted(), "the bar only moves forward")
        #expect(frames.contains { $0.contains("ETA ") })
        #expect(frames.contains { $0.contains("  tokens ") && $0.contains("est. cost $") })
        #expect(frames.contains { $0.contains(#/retrying [1-9]/#) })

        // At most ten redraws a second: the frames are bounded by the run's own wall time.
        let wall = try #require(summary.firstMatch(of: #/succeeded in (\d+\.\d+)s/#).map { Double($0.1) ?? 0 })
        #expect(Double(frames.count) <= wall * 10 + 2)
        #expect(summary.contains("  blocks        docs: 300 of 300 succeeded, min_success 270 met"))
    }
}
