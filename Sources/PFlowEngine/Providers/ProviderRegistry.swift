import PFlowSpec

/// The providers one run talks to, each built once with its own limits.
///
/// `--mock` swaps every provider for a `MockProvider` but keeps its `max_concurrency` and
/// `requests_per_minute`, so a rehearsal shows the same shape of concurrency as the real run.
final class ProviderRegistry: Sendable {
    struct Entry: Sendable {
        let spec: ProviderSpec
        let provider: any LLMProvider
        let concurrency: AsyncSemaphore?
        /// Every provider has one: without `requests_per_minute` or `tokens_per_minute` it
        /// still holds the pause a 429 or a spent limit in the headers calls for.
        let rateLimiter: RateLimiter
        /// Requests go over the network and each holds a file descriptor.
        let usesNetwork: Bool
    }

    private let entries: [String: Entry]

    /// Builds the providers named in `used`; declared but unused ones are not touched, so
    /// a missing key only matters for a provider the run will call. `overrides` replaces a
    /// provider by name (embedding and tests), keeping the declared limits.
    init(
        workflow: Workflow, used: Set<String>, mockEverything: Bool, environment: [String: String],
        baseDirectory: String, runConcurrency: Int? = nil, overrides: [String: any LLMProvider] = [:],
        clock: RunClock
    ) throws(RunSetupError) {
        var entries: [String: Entry] = [:]
        for name in used.sorted() {
            let spec: ProviderSpec
            if let declared = workflow.provider(named: name) {
                spec = declared
            } else if name == ProviderSpec.implicitMockName || overrides[name] != nil {
                spec = ProviderSpec(name: name, kind: .mock, location: workflow.location)
            } else {
                throw RunSetupError("unknown provider '\(name)'")
            }
            let provider: any LLMProvider
            let usesNetwork = overrides[name] == nil && !mockEverything && spec.kind != .mock
            if let override = overrides[name] {
                provider = override
            } else if !usesNetwork {
                provider = MockProvider(name: spec.name, settings: spec.mock, clock: clock)
            } else {
                if let variable = spec.apiKeyEnv, (environment[variable] ?? "").isEmpty {
                    throw RunSetupError(
                        "provider '\(spec.name)': environment variable \(variable) is not set "
                            + "(export it, or rehearse offline with --mock)")
                }
                do {
                    // The tightest limit over the provider's requests; with none, a width
                    // that serves a 1,000-branch fan-out at once.
                    let expected = min(spec.maxConcurrency ?? .max, runConcurrency ?? .max)
                    provider = try makeHTTPProvider(
                        for: spec, environment: environment, baseDirectory: baseDirectory,
                        expectedConcurrency: expected == .max ? 1000 : expected)
                } catch {
                    throw RunSetupError("provider '\(spec.name)': \(error.message)")
                }
            }
            entries[name] = Entry(
                spec: spec, provider: provider,
                concurrency: spec.maxConcurrency.map { AsyncSemaphore(permits: $0) },
                rateLimiter: RateLimiter(
                    requestsPerMinute: spec.requestsPerMinute, tokensPerMinute: spec.tokensPerMinute, clock: clock),
                usesNetwork: usesNetwork)
        }
        self.entries = entries
    }

    func entry(named name: String) -> Entry? { entries[name] }

    var usesNetwork: Bool { entries.values.contains { $0.usesNetwork } }
}
