import PFlowSpec

/// Builds the provider for an `openai` or `anthropic` entry.
///
/// Reads the key from `environment[spec.apiKeyEnv]`; the key lives only in memory.
/// Providers with the same TLS and proxy settings share one connection pool
/// (`HTTPTransport`). A relative `ca_file` is relative to `baseDirectory`, the workflow's folder.
public func makeHTTPProvider(
    for spec: ProviderSpec, environment: [String: String], baseDirectory: String = ".", expectedConcurrency: Int = 1
) throws(ProviderError) -> any LLMProvider {
    switch spec.kind {
    case .openai:
        return try OpenAIProvider(
            spec: spec, environment: environment, baseDirectory: baseDirectory,
            expectedConcurrency: expectedConcurrency)
    case .anthropic:
        return try AnthropicProvider(
            spec: spec, environment: environment, baseDirectory: baseDirectory,
            expectedConcurrency: expectedConcurrency)
    case .mock:
        throw ProviderError(.configuration, "provider '\(spec.name)': the mock provider is not an HTTP provider")
    }
}

extension JSONWriter {
    /// One chat message, as both APIs spell it. The request bodies are written by hand
    /// like the run's files: JSONEncoder was 4 % of a 10,000-branch run's CPU.
    /// The prompt as the first user message, then any turns a repair added.
    mutating func addConversation(of request: CompletionRequest) {
        addMessage(role: "user", content: request.prompt)
        for turn in request.turns { addMessage(role: turn.role.rawValue, content: turn.text) }
    }

    mutating func addMessage(role: String, content: String) {
        beginObject()
        add("role", role)
        add("content", content)
        endObject()
    }
}
