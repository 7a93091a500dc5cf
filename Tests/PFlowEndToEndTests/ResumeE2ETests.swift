import Foundation
import PFlowMockServerCore
import Testing

/// `pflow resume` through the real binary: what was sent again is read from the server's
/// request log, never inferred from pflow's own output.
@Suite("pflow resume against pflow-mock-server")
struct ResumeE2ETests {
    /// The acceptance test of issue 5: a 50-branch map killed with SIGKILL while some
    /// branches are done and others in flight, then resumed.
    @Test func aRunKilledMidMapResumesWithoutResendingFinishedBranches() async throws {
        try await withMockServerProcess { server in
            let workflow = try ServerWorkflow(
                "killed", server: server,
                steps: """
                      - map:
                          id: fan
                          over: { items: [\((0..<50).map { "b\($0)" }.joined(separator: ", "))] }
                          as: item
                          max_concurrency: 5
                          step:
                            prompt: "[mock:step={{ item }} latency=300ms] summarise {{ item }}"
                    """)
            defer { workflow.remove() }
            let first = try workflow.start()
            let steps = workflow.latest.appendingPathComponent("steps")
            first.whileRunning(
                when: {
                    // A step's record is written after its output, so ten records mean ten
                    // branches done whole; counting outputs raced the record of the tenth.
                    let files = (try? FileManager.default.contentsOfDirectory(atPath: steps.path)) ?? []
                    return files.filter { $0.hasSuffix(".json") }.count >= 10
                },
                do: { first.signal(SIGKILL) })
            let killed = await first.wait()
            #expect(killed.exitCode == SIGKILL, "pflow ended before the kill: \(killed.stderr)")

            // Done before the kill: a succeeded record and its output, both written whole.
            let before = try workflow.output()
            let done = (0..<50).map { "fan.\($0)" }.filter { id in
                (try? before.step(id))?["status"] as? String == "succeeded" && before.files["steps/\(id).md"] != nil
            }
            #expect(done.count >= 10)
            #expect(done.count < 50, "the run finished before it was killed")
            #expect(try before.manifest()["status"] as? String == "running")
            let requestsBeforeResume = try await server.stats().requests

            let resumed = try await workflow.resume()
            #expect(resumed.exitCode == 0, "\(resumed.stderr)")
            #expect(resumed.stdout.contains("\(done.count) steps reused"), "\(resumed.stdout)")

            let after = try workflow.output()
            let statuses = try after.statuses()
            for index in 0..<50 {
                #expect(statuses["fan.\(index)"] == "succeeded", "fan.\(index)")
                #expect(after.files["steps/fan.\(index).md"]?.contains("summarise b\(index)") == true)
            }
            #expect(try after.manifest()["status"] as? String == "succeeded")

            // No branch that had succeeded was asked again; every other one was, once.
            let log = try await server.log()
            let resumeRequests = log.filter { $0.seq > requestsBeforeResume }
            let doneItems = Set(done.map { "b" + $0.dropFirst("fan.".count) })
            #expect(resumeRequests.filter { doneItems.contains($0.step) }.isEmpty)
            #expect(resumeRequests.count == 50 - done.count)
            #expect(Set(resumeRequests.map(\.step)).count == 50 - done.count)

            // events.jsonl: valid lines, one run_resumed, spans unique over both sessions.
            let events = try after.events()
            #expect(events.filter { $0["event"] as? String == "run_resumed" }.count == 1)
            let spans = events.filter { $0["event"] as? String == "attempt_started" }.compactMap {
                $0["span"] as? String
            }
            #expect(Set(spans).count == spans.count)
        }
    }

    @Test func aChangedWorkflowIsRefusedUnlessForcedAndUnchangedStepsAreReused() async throws {
        try await withMockServerProcess { server in
            let workflow = try ServerWorkflow(
                "edited", server: server,
                steps: """
                      - id: brief
                        prompt: "[mock:step=brief] write a brief"
                      - id: verdict  # the brief quotes its own marker, so this one comes last
                        prompt: "judge {{ steps.brief.output }} [mock:step=verdict status=500]"
                    """)
            defer { workflow.remove() }
            #expect(try await workflow.run().exitCode == 1)

            try workflow.write(
                steps: """
                      - id: brief
                        prompt: "[mock:step=brief] write a brief"
                      - id: verdict
                        prompt: "judge {{ steps.brief.output }} [mock:step=verdict]"
                    """)
            let refused = try await workflow.resume()
            #expect(refused.exitCode == 2)
            #expect(refused.stderr.contains("has changed since this run started"), "\(refused.stderr)")
            #expect(refused.stderr.contains("--force"))
            #expect(try await server.stats().requests == 2)

            let forced = try await workflow.resume(["--force"])
            #expect(forced.exitCode == 0, "\(forced.stderr)")
            let stats = try await server.stats()
            #expect(stats.byStep["brief"]?.requests == 1)
            #expect(stats.byStep["verdict"]?.requests == 2)
            let output = try workflow.output()
            let attempts = try output.step("verdict")["attempts"] as? [[String: Any]] ?? []
            #expect(attempts.compactMap { $0["number"] as? Int } == [1, 2])
            #expect(attempts.compactMap { $0["status"] as? String } == ["failed", "succeeded"])
            let resumes = try output.manifest()["resumes"] as? [[String: Any]] ?? []
            #expect(resumes.count == 1)
            #expect(resumes.first?["forced"] as? Bool == true)
        }
    }

    /// `--only-failed` sends again what failed and what was skipped because of it, and
    /// leaves alone what a policy skipped; the default would send that too.
    @Test func onlyFailedLeavesPolicySkippedStepsAlone() async throws {
        try await withMockServerProcess { server in
            let workflow = try ServerWorkflow(
                "onlyfailed", server: server,
                steps: """
                      - parallel:
                          id: checks
                          min_success: 1
                          steps:
                            - { id: ok, prompt: "[mock:step=ok] go" }
                            - sequence:
                                id: lane
                                steps:
                                  - { id: flaky, prompt: "[mock:step=flaky fail-first=1 status=400] go" }
                                  - { id: dependent, prompt: "[mock:step=dependent] go" }
                            - { id: slow, timeout: 2s, on_timeout: skip, prompt: "[mock:step=slow hang] go" }
                    """)
            // slow's timeout leaves room for its request to reach the server on a loaded
            // machine: the test counts that request (200 ms was too little at load 7).
            defer { workflow.remove() }
            let first = try await workflow.run()
            #expect(first.exitCode == 0, "\(first.stderr)")
            #expect(
                try workflow.output().statuses()
                    == ["ok": "succeeded", "flaky": "failed", "dependent": "skipped", "slow": "skipped"])

            let resumed = try await workflow.resume(["--only-failed"])
            #expect(resumed.exitCode == 0, "\(resumed.stderr)")
            #expect(
                try workflow.output().statuses()
                    == ["ok": "succeeded", "flaky": "succeeded", "dependent": "succeeded", "slow": "skipped"])
            let stats = try await server.stats()
            #expect(stats.byStep["ok"]?.requests == 1)
            #expect(stats.byStep["flaky"]?.requests == 2)
            #expect(stats.byStep["dependent"]?.requests == 1)
            #expect(stats.byStep["slow"]?.requests == 1)

            let again = try await workflow.resume()
            #expect(again.exitCode == 0, "\(again.stderr)")
            #expect(try await server.stats().byStep["slow"]?.requests == 2)
        }
    }

    /// Branches cancelled because their block failed are casualties of that failure:
    /// `--only-failed` sends them again, or the block could only fail again. Resumed through
    /// `latest`, the run keeps its own id in every event. flaky answers after 300 ms so that
    /// both siblings are in flight, and so cancelled, when it fails, even on a loaded machine.
    @Test func onlyFailedRerunsBranchesCancelledByTheFailure() async throws {
        try await withMockServerProcess { server in
            let workflow = try ServerWorkflow(
                "casualties", server: server,
                steps: """
                      - parallel:
                          id: all
                          steps:
                            - { id: flaky, prompt: "[mock:step=flaky fail-first=1 status=400 latency=300ms] go" }
                            - { id: slow, prompt: "[mock:step=slow latency=1s] go" }
                            - sequence:
                                id: lane
                                steps:
                                  - { id: nested, prompt: "[mock:step=nested latency=1s] go" }
                    """)
            defer { workflow.remove() }
            let first = try await workflow.run()
            #expect(first.exitCode == 1, "\(first.stderr)")
            #expect(
                try workflow.output().statuses() == ["flaky": "failed", "slow": "cancelled", "nested": "cancelled"])

            let resumed = try await runPFlow(
                ["resume", workflow.latest.path, "--only-failed"], env: workflow.environment,
                cwd: workflow.directory.url)
            #expect(resumed.exitCode == 0, "\(resumed.stderr)")
            #expect(
                try workflow.output().statuses() == ["flaky": "succeeded", "slow": "succeeded", "nested": "succeeded"])
            let stats = try await server.stats()
            #expect(stats.byStep["flaky"]?.requests == 2)
            #expect(stats.byStep["slow"]?.requests == 2)
            #expect(stats.byStep["nested"]?.requests == 2)
            let runID = try workflow.runDirectory().lastPathComponent
            let ids = Set(try workflow.output().events().compactMap { $0["run"] as? String })
            #expect(ids == [runID])
        }
    }

    @Test func aRunStillGoingCannotBeResumed() async throws {
        try await withMockServerProcess { server in
            let workflow = try ServerWorkflow(
                "busy", server: server, steps: "  - { id: wait, prompt: \"[mock:step=wait hang] go\" }")
            defer { workflow.remove() }
            let running = try workflow.start()
            _ = try await waitForRunDirectory(of: workflow)
            let refused = try await workflow.resume()
            running.signal(SIGINT)
            #expect(await running.wait().exitCode == 130)
            #expect(refused.exitCode == 2)
            #expect(refused.stderr.contains("in use by another pflow process"), "\(refused.stderr)")
        }
    }

    @Test func aFolderThatIsNotARunIsAClearError() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await runPFlow(["resume", directory.url.path])
        #expect(result.exitCode == 2)
        #expect(result.stderr.contains("is not a run directory: it has no run.json"), "\(result.stderr)")
    }
}

/// Waits until `pflow run` has created the run directory with its first run.json.
func waitForRunDirectory(of workflow: ServerWorkflow) async throws -> URL {
    for _ in 0..<2000 {
        if let directory = try? workflow.runDirectory(),
            FileManager.default.fileExists(atPath: directory.appendingPathComponent("run.json").path)
        {
            return directory
        }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw HarnessError("no run directory appeared under \(workflow.out.path)")
}
