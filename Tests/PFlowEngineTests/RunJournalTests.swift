import Foundation
import Testing

@testable import PFlowEngine

/// run.json rewrites splice each step's cached encoding: these check that what is written
/// is always what encoding the current state from scratch gives, and in today's layout.
@Suite("Run journal")
struct RunJournalTests {
    private static func journal(in scratch: ScratchDirectory) -> (RunJournal, String) {
        let path = scratch.path + "/run.json"
        let manifest = RunManifest(
            run: "r", workflow: .init(name: "w", path: "w.yaml", sha256: "00"), inputs: ["k": "v"],
            status: .running, startedAt: "t0", mock: true, maxConcurrency: 4,
            steps: [], blocks: [],
            totals: .init(steps: 0, statuses: [:], requests: 0, inputTokens: 0, outputTokens: 0, costUSD: 0))
        return (RunJournal(manifest: manifest, path: path, priorAttempts: ["b": 2]), path)
    }

    @Test("Each rewrite equals the document encoded from scratch, after every kind of change")
    func incrementalRewritesMatchAFullEncoding() throws {
        let scratch = ScratchDirectory()
        let (journal, path) = Self.journal(in: scratch)
        journal.registerStep("a", provider: "p", model: "m")
        journal.registerMap("fan")
        journal.registerStep("b", provider: "p", model: "m")
        journal.registerBlock("fan", kind: .map, branches: 0, required: 0)

        func expectWrittenEqualsFresh() throws {
            try journal.write(force: true)
            let written = try #require(scratch.read(path))
            #expect(written == journal.snapshot().jsonDocument)
        }

        try expectWrittenEqualsFresh()
        journal.registerMapBranches("fan", ids: ["fan[0]", "fan[1]", "fan[2]"], provider: "p", model: "m")
        try expectWrittenEqualsFresh()
        // The steps written just before change now: a stale cached entry would show here.
        journal.updateStep("fan[1]") { entry in
            entry.status = .succeeded
            entry.attempts = 1
            entry.outputTokens = 7
            entry.error = "quote \" and\nnewline"
        }
        journal.updateStep("a") { $0.status = .running }
        try expectWrittenEqualsFresh()
        journal.updateStep("fan[1]") { $0.costUSD = 0.25 }
        journal.updateBlock("fan") { $0.succeeded = 1 }
        journal.updateRun { $0.status = .succeeded }
        try expectWrittenEqualsFresh()

        let back = try JSONDecoder().decode(RunManifest.self, from: Data(try #require(scratch.read(path)).utf8))
        #expect(back.steps.map(\.id) == ["a", "fan[0]", "fan[1]", "fan[2]", "b"])
        let branch = try #require(back.steps.first { $0.id == "fan[1]" })
        #expect(branch.costUSD == 0.25 && branch.outputTokens == 7 && branch.error == "quote \" and\nnewline")
        #expect(back.steps.first?.status == .running && back.status == .succeeded)
        #expect(back.totals.requests == 3 && back.totals.statuses == ["pending": 3, "running": 1, "succeeded": 1])
    }

    /// run.json is streamed to disk a megabyte at a time: one past several megabytes must
    /// come out whole, byte for byte, and a write that fails leaves the previous file.
    @Test("A run.json of many megabytes is streamed whole")
    func largeDocumentsAreStreamedWhole() throws {
        let scratch = ScratchDirectory()
        let (journal, path) = Self.journal(in: scratch)
        journal.registerMap("fan")
        let ids = (0..<20_000).map { "fan.\($0)" }
        journal.registerMapBranches("fan", ids: ids, provider: "p", model: "m")
        for id in ids.prefix(500) { journal.updateStep(id) { $0.error = String(repeating: "é\"", count: 200) } }
        try journal.write(force: true)
        let written = try #require(scratch.read(path))
        #expect(written.utf8.count > 4 << 20)
        #expect(written == journal.snapshot().jsonDocument)
        let back = try JSONDecoder().decode(RunManifest.self, from: Data(written.utf8))
        #expect(back.steps.count == 20_000 && back.steps.last?.id == "fan.19999")
    }

    @Test("A step's entry keeps the layout run.json has always had")
    func stepEntryLayout() {
        let entry = RunManifest.StepEntry(
            id: "s", block: nil, status: .failed, provider: "p", model: nil, attempts: 1,
            inputTokens: 2, outputTokens: 3, costUSD: 0.5, error: "e")
        let element =
            "{\n      \"id\": \"s\",\n      \"status\": \"failed\",\n      \"provider\": \"p\",\n"
            + "      \"attempts\": 1,\n      \"input_tokens\": 2,\n      \"output_tokens\": 3,\n"
            + "      \"cost_usd\": 0.5,\n      \"error\": \"e\"\n    }"
        #expect(entry.jsonArrayElement == element)
        var manifest = RunManifest(
            run: "r", workflow: .init(name: "w", path: "w.yaml", sha256: "00"), inputs: [:],
            status: .running, startedAt: "t0", mock: false, steps: [entry, entry], blocks: [],
            totals: .init(steps: 2, statuses: [:], requests: 0, inputTokens: 0, outputTokens: 0, costUSD: 0))
        #expect(manifest.jsonDocument.hasSuffix("  \"steps\": [\n    \(element),\n    \(element)\n  ]\n}\n"))
        manifest.steps = []
        #expect(manifest.jsonDocument.hasSuffix("  \"steps\": []\n}\n"))
    }
}
