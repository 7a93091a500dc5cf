import PFlowSpec
import Testing

@Suite("SourceText: the one line table, libyaml's line breaks")
struct SourceTextTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var testDescription: String { name }
    }

    @Test(
        "every line break libyaml knows ends a line, and is not part of it",
        arguments: [
            Case(name: "LF", text: "one\ntwo\nthree"),
            Case(name: "CR LF", text: "one\r\ntwo\r\nthree"),
            Case(name: "CR only", text: "one\rtwo\rthree"),
            Case(name: "NEL, LS and PS", text: "one\u{85}two\u{2028}three"),
            Case(name: "a byte order mark", text: "\u{FEFF}one\ntwo\u{2029}three"),
        ])
    func lines(_ example: Case) {
        let source = SourceText(Array(example.text.utf8))
        #expect((1...3).map { source.line($0) } == ["one", "two", "three"])
        #expect(source.line(4) == nil)
        #expect(source.line(0) == nil)
    }

    @Test("a CR LF file's diagnostic points at the line libyaml means")
    func markAndLineAgreeOnCRLF() throws {
        let text = "version: 1\r\nname: x\r\nsteps:\r\n  - id: a\r\n    promt: hi\r\n"
        let result = load(text)
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.location.line == 5)
        #expect(SourceText(Array(text.utf8)).line(diagnostic.location.line) == "    promt: hi")
    }
}
