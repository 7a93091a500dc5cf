import Testing

@testable import PFlowSpec

/// Files far under the 8 MB size cap that used to take minutes or hours to validate:
/// work that grew with the square of the file. Each test is sized so that the old code
/// would not finish in any reasonable time, and checks the result is still exact.
///
/// Found by generating large hostile workflows while fuzzing (the fuzzer's inputs are
/// capped at 64 KB, too small to show quadratic costs).
@Suite struct ScaleRegressionTests {
    private static let header = """
        version: 1
        name: big
        inputs: { x: { default: a } }
        providers: { m: { kind: mock } }
        defaults: { provider: m }
        steps:

        """

    /// One prompt line with 100,000 references: each column was counted from the start of
    /// the line (`SourceText.openBraceMarks`).
    @Test func manyReferencesOnOneLineKeepTheirColumns() {
        let count = 100_000
        let text =
            Self.header + "  - id: a\n    prompt: \"" + String(repeating: "{{ inputs.y }}", count: count) + "\"\n"
        let result = load(text)
        #expect(result.diagnostics.count == count)
        #expect(
            result.diagnostics.first?.rendered
                == "test.yaml:8:14: error: unknown input 'y'\n    note: did you mean 'x'?")
        #expect(result.diagnostics.last?.location.column == 14 + 14 * (count - 1))
    }

    /// 4,000 misspelt references, each compared with all 4,000 ids for "did you mean":
    /// suggestions stop after the first 20.
    @Test func didYouMeanIsBoundedPerFile() {
        let count = 4_000
        var text = Self.header
        for i in 0..<count {
            text += "  - id: step_\(i)\n    prompt: \"{{ steps.stap_\(i).output }}\"\n"
        }
        let result = load(text)
        #expect(result.diagnostics.count == count)
        #expect(result.diagnostics.prefix(20).allSatisfy { $0.notes.first?.hasPrefix("did you mean 'step_") == true })
        #expect(result.diagnostics.dropFirst(20).allSatisfy { $0.notes.isEmpty })
    }

    /// 20,000 branches of one block, each reading the next: every one is a race, and the
    /// duplicate check scanned every diagnostic found so far.
    @Test func manyRacingReferencesAreEachReportedOnce() {
        let count = 20_000
        var text = Self.header + "  - parallel:\n      id: p\n      steps:\n"
        for i in 0..<count {
            text += "        - id: c\(i)\n          prompt: \"{{ steps.c\((i + 1) % count).output }}\"\n"
        }
        let compilation = WorkflowCompiler.compile(source: Array(text.utf8), file: "test.yaml", environment: [:])
        #expect(compilation.diagnostics.count == count)
        #expect(compilation.diagnostics.allSatisfy { $0.message.contains("is not guaranteed to have finished before") })
    }
}
