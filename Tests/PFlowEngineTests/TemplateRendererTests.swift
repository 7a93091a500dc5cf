import Foundation
import PFlowEngine
import PFlowSpec
import Testing

@Suite("Templates and inputs")
struct TemplateRendererTests {
    @Test("map items over a glob: name, path, content and index, branches in index order")
    func mapOverGlob() async throws {
        let provider = ScriptedProvider.succeeding
        let test = TestRun()
        test.scratch.write("alpha text", to: "papers/b.txt")
        test.scratch.write("beta text", to: "papers/a.txt")
        test.scratch.write("ignored", to: "papers/c.md")
        let workflow = Build.workflow(
            [
                Build.map(
                    "papers", over: .glob("papers/*.txt"), as: "paper",
                    prompt: "{{ paper.index }}|{{ paper.name }}|{{ paper.path }}|{{ paper.content }}|{{ paper }}"),
                Build.step("sum", "{{ steps.papers.outputs }}#{{ steps.papers.failed }}"),
            ], file: "flow.yaml")
        let (summary, _) = try await test.run(workflow, providers: ["mock": provider])
        #expect(summary.status == .succeeded)
        let prompts = Dictionary(uniqueKeysWithValues: provider.requests.map { ($0.stepID, $0.prompt) })
        #expect(prompts["papers.0"] == "0|a.txt|papers/a.txt|beta text|papers/a.txt")
        #expect(prompts["papers.1"] == "1|b.txt|papers/b.txt|alpha text|papers/b.txt")
        #expect(prompts["sum"] == "## papers.0\n\nanswer from papers.0\n\n## papers.1\n\nanswer from papers.1#none")
    }

    @Test("a glob is checked again when its map expands: a symlink out of the folder made mid-run fails the map")
    func globRecheckedAtExpansion() async throws {
        let test = TestRun()
        let elsewhere = ScratchDirectory()
        elsewhere.write("not for the model", to: "secret.txt")
        test.scratch.write("fine", to: "papers/a.txt")
        let provider = ScriptedProvider { request throws(ProviderError) in
            // After the run's own check at start: only the expansion can catch it.
            if request.stepID == "first" {
                try? FileManager.default.createSymbolicLink(
                    atPath: test.scratch.path + "/papers/leak.txt", withDestinationPath: elsewhere.path + "/secret.txt")
            }
            return ScriptedProvider.answer(request)
        }
        let workflow = Build.workflow(
            [
                Build.lane(
                    "lane",
                    [
                        Build.step("first"),
                        Build.map("papers", over: .glob("papers/*.txt"), prompt: "{{ item.content }}"),
                    ])
            ],
            file: "flow.yaml")
        let (summary, run) = try await test.run(workflow, providers: ["mock": provider])
        #expect(summary.status == .failed)
        #expect(provider.requests.map(\.stepID) == ["first"])
        let error = try #require(try test.manifest(run).blocks.first { $0.id == "papers" }?.error)
        #expect(
            error.hasPrefix(
                "map glob 'papers/*.txt' reaches outside the workflow's folder: 'papers/leak.txt' resolves to '"))
        #expect(error.hasSuffix("/secret.txt'; pass --allow-outside to allow it"))
    }

    @Test("map over items, lines of a file and an input's lines")
    func mapSources() async throws {
        let provider = ScriptedProvider.succeeding
        let test = TestRun()
        test.scratch.write("first\n\n  \nsecond\n", to: "list.txt")
        let workflow = Build.workflow(
            [
                Build.map("fromItems", over: .items(["x", "y"]), prompt: "{{ item }}/{{ item.content }}"),
                Build.map("fromLines", over: .lines("list.txt"), as: "line", prompt: "{{ line.name }}"),
                Build.map("fromInput", over: .input("targets"), as: "t", prompt: "{{ t.content }}@{{ t.index }}"),
            ],
            inputs: [InputSpec(name: "targets", location: Build.here)])
        let (summary, _) = try await test.run(workflow, providers: ["mock": provider], inputs: ["targets": "p\nq"])
        #expect(summary.status == .succeeded)
        let prompts = Dictionary(uniqueKeysWithValues: provider.requests.map { ($0.stepID, $0.prompt) })
        #expect(
            prompts == [
                "fromItems.0": "x/x", "fromItems.1": "y/y", "fromLines.0": "first", "fromLines.1": "second",
                "fromInput.0": "p@0", "fromInput.1": "q@1",
            ])
    }

    /// `outputs` of a lane, as validation tells the author to write, rendered empty while
    /// unvalidated workflows could still reach the engine with `output` instead.
    @Test("a step's output renders its text, a lane's outputs its items' texts")
    func stepAndLaneOutputs() async throws {
        let provider = ScriptedProvider.succeeding
        let workflow = Build.workflow([
            Build.lane("lane", [Build.step("a"), Build.step("b")]),
            Build.step("use", "{{ steps.a.output }} + {{ steps.lane.outputs }}"),
        ])
        let (summary, _) = try await TestRun().run(workflow, providers: ["mock": provider])
        #expect(summary.status == .succeeded)
        #expect(provider.requests.last?.prompt == "answer from a + ## a\n\nanswer from a\n\n## b\n\nanswer from b")
    }

    @Test("inputs: --input values, defaults, file inputs and files given with --input-file")
    func inputsResolve() async throws {
        let provider = ScriptedProvider.succeeding
        let test = TestRun()
        test.scratch.write("notes body", to: "notes.txt")
        test.scratch.write("extra body", to: "extra.txt")
        var workflow = Build.workflow(
            [Build.step("s", "{{ inputs.target }}|{{ inputs.tone }}|{{ inputs.notes }}|{{ inputs.extra }}")],
            inputs: [
                InputSpec(name: "target", location: Build.here),
                InputSpec(name: "tone", defaultValue: "dry", location: Build.here),
                InputSpec(name: "notes", isFile: true, location: Build.here),
                InputSpec(name: "extra", required: false, location: Build.here),
            ])
        workflow.file = test.scratch.path + "/flow.yaml"
        let request = RunRequest(
            workflow: try workflow.compiled(), inputs: ["target": "Acme", "notes": "notes.txt"],
            inputFiles: ["extra": "extra.txt"], outputRoot: test.scratch.path + "/runs", environment: [:],
            workingDirectory: test.scratch.path, providerOverrides: ["mock": provider])
        let run = try WorkflowRun.prepare(request)
        let summary = await run.execute()
        #expect(summary.status == .succeeded)
        #expect(provider.requests.first?.prompt == "Acme|dry|notes body|extra body")
        let manifest = try test.manifest(run)
        // Files by absolute path, so `pflow resume` reads them again from any directory.
        let folder = test.scratch.path
        #expect(
            manifest.inputs
                == ["target": "Acme", "tone": "dry", "notes": folder + "/notes.txt", "extra": folder + "/extra.txt"])
        #expect(manifest.inputFiles == ["notes", "extra"])
    }

    @Test("missing required and unknown inputs stop the run before any request")
    func inputErrors() throws {
        let test = TestRun()
        let workflow = Build.workflow(
            [Build.step("s", "{{ inputs.target }}")], inputs: [InputSpec(name: "target", location: Build.here)])
        let provider = ScriptedProvider.succeeding
        let request = RunRequest(
            workflow: try workflow.compiled(), inputs: ["targte": "Acme"], outputRoot: test.scratch.path + "/runs",
            environment: [:],
            workingDirectory: test.scratch.path, providerOverrides: ["mock": provider])
        let error = #expect(throws: RunSetupError.self) { try WorkflowRun.prepare(request) }
        #expect(
            error?.message == """
                unknown input 'targte' (declared: target)
                missing required input 'target': pass --input target=VALUE
                """)
        #expect(provider.requests.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: test.scratch.path + "/runs"))
    }

    @Test("a missing API key stops the run before any request (exit 2), naming the variable")
    func missingKey() throws {
        let test = TestRun()
        let openai = ProviderSpec(
            name: "gpt", kind: .openai, model: "gpt-4o-mini", apiKeyEnv: "PFLOW_TEST_KEY", location: Build.here)
        let workflow = Build.workflow([Build.step("s", provider: "gpt")], providers: [openai])
        let request = RunRequest(
            workflow: try workflow.compiled(), outputRoot: test.scratch.path + "/runs", environment: [:],
            workingDirectory: test.scratch.path)
        let error = #expect(throws: RunSetupError.self) { try WorkflowRun.prepare(request) }
        #expect(error?.message.contains("environment variable PFLOW_TEST_KEY is not set") == true)

        var mocked = request
        mocked.mockProviders = true
        #expect(throws: Never.self) { try WorkflowRun.prepare(mocked) }
    }
}
