import Testing

@testable import PFlowSpec

/// A mock provider's `server_limits`: what the pretend server enforces, on mocks only.
@Suite struct ServerLimitsSpecTests {
    @Test func aMockDecodesItsServerLimits() throws {
        let result = load(
            """
            name: s
            providers:
              m:
                kind: mock
                server_limits: { requests_per_minute: 60, tokens_per_minute: 6000 }
            steps:
              - { id: a, prompt: Hi. }
            """)
        #expect(result.rendered == [])
        let workflow = try #require(result.workflow)
        let limits = try #require(workflow.provider(named: "m")?.mock.serverLimits)
        #expect(limits == ProviderSpec.ServerLimits(requestsPerMinute: 60, tokensPerMinute: 6000))
    }

    @Test func serverLimitsOnAnotherKindAreAnError() {
        let result = load(
            """
            name: s
            providers:
              gpt:
                kind: openai
                model: m
                base_url: http://127.0.0.1:9/v1
                server_limits: { tokens_per_minute: 6000 }
            steps:
              - { id: a, prompt: Hi. }
            """)
        #expect(
            result.rendered == [
                "test.yaml:7:5: error: 'server_limits' is for mock providers; provider 'gpt' is kind openai, whose "
                    + "server sets its own limits\n    note: to limit what pflow sends, use 'requests_per_minute' and "
                    + "'tokens_per_minute'"
            ])
    }

    @Test func aMisspeltOrEmptyLimitIsAnError() {
        let result = load(
            """
            name: s
            providers:
              m:
                kind: mock
                server_limits: { token_per_minute: 6000 }
            steps:
              - { id: a, prompt: Hi. }
            """)
        #expect(
            result.rendered == [
                "test.yaml:5:20: error: 'server_limits' needs 'requests_per_minute', 'tokens_per_minute' or both",
                "test.yaml:5:22: error: unknown key 'token_per_minute' in 'server_limits'\n"
                    + "    note: did you mean 'tokens_per_minute'?",
            ])
    }
}
