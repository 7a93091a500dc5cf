import Testing

@testable import PFlowSpec

/// Workflow files written to hurt: each under Tests/Fixtures/hostile, through the whole
/// front end (`WorkflowCompiler`, as `pflow validate` runs it), with the exact diagnostics
/// it must give instead of a crash, a hang or a path outside the run directory.
///
/// The same attacks written inline at the YAML layer are in YAMLParserTests; these are
/// files as a user would receive them. Files too large to commit are in the end-to-end tests.
@Suite struct HostileFileTests {
    typealias Case = ValidationTests.Case

    static let cases: [Case] = [
        Case(
            "billion-laughs.yaml",
            [
                "hostile/billion-laughs.yaml:11:47: error: aliases expand this file past 1000000 nodes; refusing to expand it"
            ]),
        Case(
            "deep-nesting.yaml",
            ["hostile/deep-nesting.yaml:6:513: error: lists and mappings are nested more than 256 deep"]),
        Case("invalid-utf8.yaml", ["hostile/invalid-utf8.yaml:7:16: error: the file is not valid UTF-8"]),
        Case(
            "nul-byte.yaml",
            ["hostile/nul-byte.yaml:7:15: error: the file contains a NUL byte; workflow files must be UTF-8 text"]),
        Case("utf16.yaml", ["hostile/utf16.yaml:1:1: error: the file is UTF-16 or UTF-32 text; save it as UTF-8"]),
        Case(
            "path-ids.yaml",
            [
                "hostile/path-ids.yaml:2:7: error: the workflow name '../escape' contains '.'; ids may only use letters, digits, '_' and '-'",
                "hostile/path-ids.yaml:6:9: error: the id '..' contains '.'; ids may only use letters, digits, '_' and '-'",
                "hostile/path-ids.yaml:8:9: error: the id '../../etc/passwd' contains '.'; ids may only use letters, digits, '_' and '-'",
                "hostile/path-ids.yaml:10:9: error: the id 'latest' is a reserved file name",
                "hostile/path-ids.yaml:12:9: error: the id 'RUNS' is a reserved file name",
                "hostile/path-ids.yaml:14:9: error: the id 'LPT1' is a reserved file name",
                "hostile/path-ids.yaml:16:9: error: the id 'steps/x' contains '/'; ids may only use letters, digits, '_' and '-'",
            ]),
    ]

    @Test(arguments: cases)
    func fixtureGivesExactlyItsDiagnostics(_ c: Case) throws {
        let compilation = WorkflowCompiler.compile(
            source: try Fixtures.bytes("hostile", c.fixture), file: "hostile/\(c.fixture)", environment: [:])
        #expect(compilation.diagnostics.map(\.rendered) == c.expected)
        #expect(compilation.graph == nil)
    }

    @Test func everyHostileFixtureHasExpectations() {
        #expect(Set(Fixtures.names(in: "hostile")) == Set(Self.cases.map(\.fixture)))
    }

    /// The `..` rule is the caller's choice (`--allow-outside`), not the file's.
    @Test func mapPathsOutsideTheFolderAreAllowedOnlyByTheOption() throws {
        let bytes = try Fixtures.bytes("invalid", "map-path-outside.yaml")
        let refused = WorkflowLoader.load(source: bytes, file: "m.yaml", environment: [:])
        #expect(refused.diagnostics.filter { $0.message.hasSuffix("reaches outside the workflow's folder") }.count == 2)
        let allowed = WorkflowLoader.load(
            source: bytes, file: "m.yaml", environment: [:], options: LoadOptions(allowOutside: true))
        #expect(allowed.diagnostics.isEmpty)
    }

    @Test(arguments: [
        ("papers/*.txt", false), ("./papers/*.txt", false), ("a..b/x", false), ("../x", true), ("a/../../x", true),
        ("/etc/*", true), ("~/notes.txt", true), ("a\\..\\x", true),
    ])
    func whatAPathSaysAboutLeavingTheFolder(_ path: String, _ outside: Bool) {
        #expect(MapPaths.reachesOutside(path) == outside)
    }

    @Test(arguments: [
        ("/w", "/w", true), ("/w/a/b", "/w", true), ("/w2/a", "/w", false), ("/etc/passwd", "/w", false),
        ("/w/a", "/w/", true), ("/", "/w", false),
    ])
    func whetherARealPathIsInsideTheFolder(_ path: String, _ folder: String, _ inside: Bool) {
        #expect(MapPaths.contains(path, in: folder) == inside)
    }

    @Test func aFolderNameIsEscapedBeforeAPatternIsAppended() {
        #expect(MapPaths.escapedForGlob("/w/a[1]/*?\\x") == "/w/a\\[1\\]/\\*\\?\\\\x")
    }
}
