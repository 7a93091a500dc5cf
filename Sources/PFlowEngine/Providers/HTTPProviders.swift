import PFlowSpec

/// Builds the provider for an `openai` or `anthropic` entry.
///
/// Reads the key from `environment[spec.apiKeyEnv]`; the key lives only in memory.
public func makeHTTPProvider(
    for spec: ProviderSpec, environment: [String: String]
) throws(ProviderError) -> any LLMProvider {
    throw ProviderError(.configuration, "provider '\(spec.name)': \(spec.kind.rawValue) is not built yet")
}
