import Foundation
import PFlowEngine
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
}
