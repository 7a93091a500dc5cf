import PFlowSpec
import Testing

@Suite("The loopback rule: which hosts a key may reach over plain http")
struct LoopbackHostTests {
    @Test(
        "this machine, in any case, with or without brackets",
        arguments: [
            "localhost", "LOCALHOST", "LocalHost", "api.localhost", "API.LOCALHOST", "127.0.0.1", "127.1.2.3",
            "::1", "[::1]",
        ])
    func loopback(_ host: String) {
        #expect(LoopbackHost.contains(host))
    }

    @Test(
        "other machines", arguments: ["llm.example.com", "localhost.example.com", "128.0.0.1", "::2", "10.0.0.1", ""])
    func notLoopback(_ host: String) {
        #expect(!LoopbackHost.contains(host))
    }

    @Test("validation accepts an upper-case loopback host, as the provider does")
    func validationAgreesOnUpperCase() {
        let result = load(
            """
            providers:
              local:
                kind: openai
                model: m
                base_url: http://LOCALHOST:8080/v1
                api_key_env: PFLOW_TEST_KEY
            defaults:
              provider: local
            steps:
              - id: a
                prompt: Hello
            """, environment: ["PFLOW_TEST_KEY": "set"])
        #expect(result.rendered == [])
    }
}
