import Foundation
import Testing

/// SIGINT and SIGTERM sent to the real binary mid-run, checked from run.json and from the
/// server's side (it sees the connections close).
@Suite("pflow run interrupted by signals")
struct InterruptionE2ETests {
    static let steps = """
          - id: quick
            prompt: "[mock:step=quick] go"
          - parallel:
              id: stuck
              steps:
                - { id: h0, prompt: "[mock:step=h0 hang] go" }
                - { id: h1, prompt: "[mock:step=h1 hang] go" }
                - { id: h2, prompt: "[mock:step=h2 hang] go" }
          - id: later
            prompt: "[mock:step=later] go"
        """

    /// Starts the workflow and waits until the three hanging requests are in flight.
    private func startStuck(_ workflow: ServerWorkflow, server: MockServerProcess) async throws -> ChildProcess {
        let child = try workflow.start()
        for _ in 0..<2000 {
            if try await server.stats().inFlight == 3 { return child }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("the hanging requests never arrived: \(child.stderr)")
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func oneSignalCancelsTheRunGracefully(signal: Int32) async throws {
        try await withMockServerProcess { server in
            let workflow = try ServerWorkflow("interrupted", server: server, steps: Self.steps)
            defer { workflow.remove() }
            let child = try await startStuck(workflow, server: server)
            child.signal(signal)
            let result = await child.wait()
            #expect(result.exitCode == 130, "\(result.stderr)")
            #expect(result.stderr.contains("interrupted"))
            let output = try workflow.output()
            let manifest = try output.manifest()
            #expect(manifest["status"] as? String == "interrupted")
            #expect(manifest["ended_at"] != nil)
            let statuses = try output.statuses()
            #expect(
                statuses == [
                    "quick": "succeeded", "h0": "cancelled", "h1": "cancelled", "h2": "cancelled", "later": "skipped",
                ])
            #expect(try output.events().last?["event"] as? String == "run_finished")
            // The server saw every in-flight request disconnect; `later` was never sent.
            var stats = try await server.stats()
            for _ in 0..<300 {
                if stats.cancelled >= 3 { break }
                try await Task.sleep(for: .milliseconds(10))
                stats = try await server.stats()
            }
            #expect(stats.cancelled == 3)
            #expect(stats.byStep["later"] == nil)

            // And the interrupted run resumes: `quick` is reused, the rest is sent again.
            try workflow.write(steps: Self.steps.replacingOccurrences(of: " hang]", with: "]"))
            let resumed = try await workflow.resume(["--force"])
            #expect(resumed.exitCode == 0, "\(resumed.stderr)")
            #expect(try await server.stats().byStep["quick"]?.requests == 1)
            #expect(try workflow.output().manifest()["status"] as? String == "succeeded")
        }
    }

    @Test func aSecondSignalExitsAtOnceLeavingAValidRunJSON() async throws {
        try await withMockServerProcess { server in
            let workflow = try ServerWorkflow("twice", server: server, steps: Self.steps)
            defer { workflow.remove() }
            let child = try await startStuck(workflow, server: server)
            child.signal(SIGINT)
            child.signal(SIGINT)
            let result = await child.wait(limit: .seconds(20))
            #expect(!result.timedOut)
            #expect(result.exitCode == 130, "\(result.stderr)")
            let output = try workflow.output()
            #expect(try output.manifest()["status"] as? String == "interrupted")
            _ = try output.events()
        }
    }
}
