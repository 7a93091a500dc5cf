import Testing

@testable import PFlowSpec

@Suite struct ValidFixtureTests {
    @Test(arguments: Fixtures.names(in: "valid"))
    func loadsWithoutErrors(_ name: String) throws {
        let result = try Fixtures.load("valid", name)
        #expect(result.workflow != nil)
        #expect(!result.diagnostics.hasErrors, "\(result.rendered.joined(separator: "\n"))")
    }

    @Test func designExampleOnlyWarnsAboutUnsetKeys() throws {
        let result = try Fixtures.load("valid", "design-example.yaml")
        #expect(
            result.rendered == [
                "valid/design-example.yaml:17:18: warning: environment variable 'OPENAI_API_KEY' for provider 'gpt' is not set; 'pflow run' will refuse to start",
                "valid/design-example.yaml:24:18: warning: environment variable 'ANTHROPIC_API_KEY' for provider 'claude' is not set; 'pflow run' will refuse to start",
            ])
        #expect(result.diagnostics.map(\.code) == [.apiKeyNotSet, .apiKeyNotSet], "--mock hides them by this code")
        let withKeys = try Fixtures.load(
            "valid", "design-example.yaml", environment: ["OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k"])
        #expect(withKeys.diagnostics.isEmpty)
    }
}
