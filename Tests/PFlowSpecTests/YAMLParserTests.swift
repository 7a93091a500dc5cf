import Testing

@testable import PFlowSpec

@Suite struct YAMLParserTests {
    private func parse(_ text: String) -> YAMLParser.Result {
        YAMLParser.parse(Array(text.utf8), file: "t.yaml")
    }

    private func messages(_ text: String) -> [String] {
        parse(text).diagnostics.map(\.rendered)
    }

    @Test func marksAreOneBasedLineAndColumn() throws {
        let root = try #require(parse("a: 1\nlist:\n  - x\n  - \"y\"\n").root)
        let pairs = try #require(root.mapping)
        #expect(pairs[0].key.start == YAMLMark(line: 1, column: 1))
        #expect(pairs[0].value.start == YAMLMark(line: 1, column: 4))
        let items = try #require(pairs[1].value.sequence)
        #expect(items[0].start == YAMLMark(line: 3, column: 5))
        #expect(items[1].start == YAMLMark(line: 4, column: 5))
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let root = try #require(parse("é: ü\n").root)
        #expect(root.mapping?[0].value.start == YAMLMark(line: 1, column: 4))
    }

    @Test func scalarsKeepTheirStyleSoQuotedNumbersStayStrings() throws {
        let root = try #require(parse("a: 123\nb: \"123\"\nc: '123'\nd: |\n  123\ne: !!str 123\n").root)
        let values = try #require(root.mapping).map { $0.value.scalar }
        #expect(values.map { $0?.int } == [123, nil, nil, nil, nil])
        #expect(values.map { $0?.style } == [.plain, .doubleQuoted, .singleQuoted, .literal, .plain])
        #expect(values[4]?.tag == "tag:yaml.org,2002:str")
    }

    @Test func aliasesShareTheAnchoredNode() throws {
        let root = try #require(parse("base: &b {x: 1}\none: *b\ntwo: *b\n").root)
        let pairs = try #require(root.mapping)
        #expect(pairs[1].value === pairs[0].value)
        #expect(pairs[2].value === pairs[0].value)
        #expect(root.expandedSize == 1 + 3 + 3 * 3)
    }

    /// `<<` merges mappings in, as docker-compose and Kubernetes files use it.
    @Test func mergeKeysCopyInWhatTheMappingDoesNotSet() throws {
        let text = """
            base: &base {provider: fast, timeout: 30s, retries: 2}
            more: &more {retries: 5, temperature: 0.1}
            one:
              <<: *base
              timeout: 1m
            two:
              retries: 9
              <<: [*more, *base]
            three: {"<<": *base}
            """
        let result = parse(text)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.rendered))")
        let pairs = try #require(result.root?.mapping)
        func entries(_ index: Int) -> [String: String] {
            var entries: [String: String] = [:]
            for pair in pairs[index].value.mapping ?? [] {
                entries[pair.key.scalar?.value ?? "?"] = pair.value.scalar?.value ?? "(node)"
            }
            return entries
        }
        #expect(entries(2) == ["provider": "fast", "timeout": "1m", "retries": "2"])
        #expect(entries(3) == ["retries": "9", "temperature": "0.1", "provider": "fast", "timeout": "30s"])
        #expect(entries(4) == ["<<": "(node)"], "a quoted '<<' is an ordinary key")
        // Merged entries keep the marks of where they are written.
        let merged = try #require(pairs[2].value.mapping?.first { $0.key.scalar?.value == "provider" })
        #expect(merged.key.start == YAMLMark(line: 1, column: 14))
    }

    @Test func aMergeKeyOnAScalarIsAnError() {
        let rendered = messages("a:\n  <<: 5\n  x: 1\n")
        #expect(rendered.count == 1)
        #expect(
            rendered.first?.hasPrefix(
                "t.yaml:2:7: error: a merge key '<<' takes a mapping or a list of mappings, found an integer") == true)
    }

    @Test func undefinedAliasIsReported() {
        #expect(messages("a: *nope\n") == ["t.yaml:1:4: error: alias '*nope' refers to no anchor defined before it"])
    }

    @Test func selfReferenceIsACycle() {
        #expect(
            messages("a: &a [1, *a]\n") == [
                "t.yaml:1:11: error: alias '*a' refers to the node that contains it, which would be infinite"
            ])
    }

    @Test func aliasToAnInnerAnchorOfTheSameNameIsNotACycle() {
        #expect(messages("a: &a [&a 1, *a]\n").isEmpty)
    }

    @Test func billionLaughsStopsWithADiagnostic() {
        var text = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let previous = Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ")
            text += "l\(level): &l\(level) [\(previous)]\n"
        }
        let result = parse(text)
        #expect(result.root == nil)
        #expect(
            result.diagnostics.map(\.rendered) == [
                "t.yaml:6:45: error: aliases expand this file past 1000000 nodes; refusing to expand it"
            ])
    }

    @Test(arguments: ["[", "{a: "])
    func deepNestingIsCappedWithoutRecursion(_ opener: String) {
        let text = String(repeating: opener, count: 10_000)
        let result = parse(text)
        #expect(result.root == nil)
        #expect(result.diagnostics.map(\.message) == ["lists and mappings are nested more than 256 deep"])
    }

    @Test func nestingAtTheCapIsAccepted() {
        let text = String(repeating: "[", count: 256) + String(repeating: "]", count: 256)
        #expect(parse(text).diagnostics.isEmpty)
    }

    @Test func oversizedFileIsRefusedBeforeParsing() {
        let bytes = Array("a: ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 10 << 20)
        let result = YAMLParser.parse(bytes, file: "t.yaml")
        #expect(
            result.diagnostics.map(\.rendered) == [
                "t.yaml:1:1: error: the file is 10485763 bytes; workflow files are limited to 8388608 bytes"
            ])
    }

    @Test func duplicateKeysAreErrors() {
        #expect(
            messages("a: 1\nb: 2\na: 3\n") == [
                "t.yaml:3:1: error: duplicate key 'a'\n    note: 'a' is first set at t.yaml:1:1"
            ])
    }

    @Test func tabIndentationIsASyntaxErrorWithAHint() {
        #expect(
            messages("steps:\n\t- id: a\n") == [
                "t.yaml:2:1: error: YAML syntax: found character that cannot start any token\n    note: YAML does not allow tabs for indentation; indent with spaces"
            ])
    }

    @Test(arguments: ["", "\n\n", "# only a comment\n", "---\n", "~\n"])
    func emptyFileIsReported(_ text: String) {
        #expect(messages(text) == ["t.yaml:1:1: error: the file is empty; a workflow needs at least 'steps'"])
    }

    @Test func binaryGarbageIsRefused() {
        let bytes: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0xFF, 0xFE]
        let result = YAMLParser.parse(bytes, file: "t.yaml")
        #expect(result.root == nil)
        #expect(result.diagnostics.hasErrors)
    }

    @Test func invalidUTF8IsLocated() {
        let bytes = Array("a: 1\nb: x".utf8) + [0xC3, 0x28]
        #expect(
            YAMLParser.parse(bytes, file: "t.yaml").diagnostics.map(\.rendered) == [
                "t.yaml:2:5: error: the file is not valid UTF-8"
            ])
    }

    @Test func nulByteIsLocated() {
        let bytes = Array("a: 1\nbc: d".utf8) + [0] + Array("\n".utf8)
        #expect(
            YAMLParser.parse(bytes, file: "t.yaml").diagnostics.map(\.rendered) == [
                "t.yaml:2:6: error: the file contains a NUL byte; workflow files must be UTF-8 text"
            ])
    }

    @Test func controlCharactersAreLocated() {
        #expect(messages("a: 1\nb: \u{7}\n") == ["t.yaml:2:4: error: control characters are not allowed"])
    }

    @Test func onlyOneDocumentIsAllowed() {
        #expect(
            messages("a: 1\n---\nb: 2\n") == [
                "t.yaml:2:1: error: a workflow file holds one YAML document; found a second one"
            ])
    }

    @Test func nonScalarKeysAreRejected() {
        #expect(
            messages("? [a, b]\n: 1\n") == [
                "t.yaml:1:3: error: mapping keys must be plain strings, not lists or mappings"
            ])
    }
}

@Suite struct MalformedInputTests {
    /// Every truncation of a real workflow is some kind of malformed file: none may crash.
    @Test func everyTruncationOfTheDesignExampleLoads() throws {
        let bytes = try Fixtures.bytes("valid", "design-example.yaml")
        var withErrors = 0
        for end in stride(from: 0, to: bytes.count, by: 7) {
            let result = WorkflowLoader.load(source: Array(bytes[..<end]), file: "t.yaml", environment: [:])
            if result.diagnostics.hasErrors { withErrors += 1 }
        }
        #expect(withErrors > 0)
    }

    /// Deterministic byte flips over a real workflow: diagnostics, never a crash.
    @Test func flippedBytesGiveDiagnostics() throws {
        let original = try Fixtures.bytes("valid", "design-example.yaml")
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var withErrors = 0
        for _ in 0..<300 {
            var bytes = original
            for _ in 0..<3 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let index = Int(state >> 33) % bytes.count
                bytes[index] = UInt8(truncatingIfNeeded: state >> 13)
            }
            if WorkflowLoader.load(source: bytes, file: "t.yaml", environment: [:]).diagnostics.hasErrors {
                withErrors += 1
            }
        }
        #expect(withErrors > 0)
    }
}
