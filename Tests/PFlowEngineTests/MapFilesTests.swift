import Foundation
import PFlowEngine
import PFlowSpec
import Testing

@Suite("Map items and files: the rules the run and validate/plan share")
struct MapFilesTests {
    @Test(
        "one item per non-blank line, whatever ends the lines; counting agrees with splitting",
        arguments: [
            "a\nb\n\n  \nc\n", "a\r\nb\r\n\r\n  \r\nc", "a\rb\r\r \rc\r", "a\u{2028}b\u{85}\u{2029}c\u{0B}\u{0C}",
        ])
    func lineItems(_ text: String) {
        #expect(LineCounter.items(in: text) == ["a", "b", "c"])
        #expect(LineCounter.count(text: text) == 3)
    }

    @Test("a line keeps its own spaces")
    func spacesAreKept() {
        #expect(LineCounter.items(in: "  indented \n\t\n") == ["  indented "])
    }

    @Test("files outside the folder: the first is named, the rest counted; --allow-outside waives it")
    func outside() throws {
        let scratch = ScratchDirectory()
        scratch.write("in", to: "w/inside.txt")
        scratch.write("out", to: "secret.txt")
        let folder = scratch.path + "/w"
        for name in ["leak1.txt", "leak2.txt"] {
            try FileManager.default.createSymbolicLink(
                atPath: folder + "/" + name, withDestinationPath: scratch.path + "/secret.txt")
        }
        let files = MapFiles(folder: folder, allowOutside: false)
        let matches = try files.matches(of: "*.txt")
        #expect(matches.map { files.shown($0) } == ["inside.txt", "leak1.txt", "leak2.txt"])
        let error = try #require(files.outside(matches, written: "*.txt"))
        let real = try #require(RegularFile.realPath(scratch.path + "/secret.txt"))
        #expect(error.message == "'*.txt' reaches outside the workflow's folder: 'leak1.txt' resolves to '\(real)'")
        #expect(error.notes == ["1 more of its files lead outside too", "pass --allow-outside to allow it"])
        #expect(files.outside([folder + "/inside.txt"], written: "inside.txt") == nil)
        #expect(MapFiles(folder: folder, allowOutside: true).outside(matches, written: "*.txt") == nil)
    }

    @Test("an input's source: a typed path is the user's, a default path the workflow's")
    func inputSources() {
        let notes = InputSpec(name: "notes", defaultValue: "notes.txt", isFile: true, location: Build.here)
        let tone = InputSpec(name: "tone", defaultValue: "dry", location: Build.here)
        func source(_ input: InputSpec, _ values: [String: String], files: [String: String] = [:])
            -> InputResolver.Source?
        {
            InputResolver.source(
                of: input, values: values, files: files, workflowDirectory: "/w", workingDirectory: "/cwd")
        }
        #expect(source(notes, [:]) == .file(absolute: "/w/notes.txt", written: "notes.txt"))
        #expect(source(notes, ["notes": "mine.txt"]) == .file(absolute: "/cwd/mine.txt", written: "mine.txt"))
        #expect(
            source(tone, [:], files: ["tone": "/abs/t.txt"]) == .file(absolute: "/abs/t.txt", written: "/abs/t.txt"))
        #expect(source(tone, [:]) == .text("dry"))
        #expect(source(InputSpec(name: "x", location: Build.here), [:]) == nil)
    }
}
