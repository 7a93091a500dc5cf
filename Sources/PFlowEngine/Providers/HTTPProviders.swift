import PFlowSpec

/// Builds the provider for an `openai` or `anthropic` entry.
///
/// Reads the key from `environment[spec.apiKeyEnv]`; the key lives only in memory. Every
/// provider shares `HTTPTransport.shared`, so one connection pool serves the whole run.
public func makeHTTPProvider(
    for spec: ProviderSpec, environment: [String: String]
) throws(ProviderError) -> any LLMProvider {
    switch spec.kind {
    case .openai:
        return try OpenAIProvider(spec: spec, environment: environment)
    case .anthropic:
        return try AnthropicProvider(spec: spec, environment: environment)
    case .mock:
        throw ProviderError(.configuration, "provider '\(spec.name)': the mock provider is not an HTTP provider")
    }
}
