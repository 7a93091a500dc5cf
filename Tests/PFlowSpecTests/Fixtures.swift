import Foundation

@testable import PFlowSpec

/// Fixture files and loading helpers shared by the suites.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func names(in folder: String) -> [String] {
        let url = root.appendingPathComponent(folder)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.sorted()
    }

    static func bytes(_ folder: String, _ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(folder).appendingPathComponent(name)))
    }

    /// Loads a fixture with its file reported as `folder/name`, so expectations stay short.
    static func load(_ folder: String, _ name: String, environment: [String: String] = [:]) throws -> LoadResult {
        WorkflowLoader.load(source: try bytes(folder, name), file: "\(folder)/\(name)", environment: environment)
    }
}

/// Loads YAML text written inline in a test.
func load(_ text: String, environment: [String: String] = [:]) -> LoadResult {
    WorkflowLoader.load(source: Array(text.utf8), file: "test.yaml", environment: environment)
}

extension LoadResult {
    var rendered: [String] { diagnostics.map(\.rendered) }
}
