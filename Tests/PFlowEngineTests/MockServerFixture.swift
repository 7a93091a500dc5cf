import Foundation
import PFlowEngine
import PFlowMockServerCore
import PFlowSpec

/// Runs `body` against a fresh in-process mock server, and stops it afterwards. With `tls`
/// (say `TestCertificates.shared().server`) it serves https: `server.baseURL` says so, and
/// `TestCertificates.shared().caCertificate` is the CA a client must trust.
func withMockServer<T>(
    host: String = "127.0.0.1", tls: MockTLSFiles? = nil, _ body: (MockServer) async throws -> T
) async throws -> T {
    let server = try await MockServer.start(MockServerConfiguration(host: host, threads: 1, tls: tls))
    do {
        let result = try await body(server)
        try await server.stop()
        return result
    } catch {
        try? await server.stop()
        throw error
    }
}

/// A key that must never surface anywhere but the request headers.
let testKey = "sk-test-9f8e7d6c5b4a-SECRET"

func providerSpec(
    _ kind: ProviderSpec.Kind, baseURL: String?, apiKeyEnv: String? = "PFLOW_TEST_KEY", allowInsecure: Bool = false
) -> ProviderSpec {
    ProviderSpec(
        name: "p", kind: kind, model: "test-model", baseURL: baseURL, apiKeyEnv: apiKeyEnv,
        allowInsecure: allowInsecure, location: SourceLocation(file: "test.yaml", line: 1, column: 1))
}

func completionRequest(_ prompt: String, system: String? = nil, model: String = "test-model") -> CompletionRequest {
    CompletionRequest(
        model: model, system: system, prompt: prompt, maxTokens: 100, temperature: 0.2, stepID: "s", attempt: 1)
}

/// Calls the provider and returns its error, or nil if it succeeded.
func failure(of provider: any LLMProvider, _ request: CompletionRequest) async -> ProviderError? {
    do {
        _ = try await provider.complete(request)
        return nil
    } catch {
        return error
    }
}

/// Polls until `condition` holds or 30 seconds pass (a bound for loaded machines, not a
/// timing assertion); returns whether it held.
func eventually(_ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(30)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
