/// A named LLM endpoint steps send requests to.
public struct ProviderSpec: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Built in, offline, deterministic.
        case mock
        /// Any OpenAI-compatible `/chat/completions` server.
        case openai
        /// The Anthropic Messages API.
        case anthropic
    }

    /// Dollars per million tokens, for the cost estimate.
    public struct Price: Sendable, Hashable {
        public var inputPerMTok: Double
        public var outputPerMTok: Double
        /// Input tokens the provider served from its prompt cache; nil: priced as input.
        public var cachedInputPerMTok: Double?

        public init(inputPerMTok: Double, outputPerMTok: Double, cachedInputPerMTok: Double? = nil) {
            self.inputPerMTok = inputPerMTok
            self.outputPerMTok = outputPerMTok
            self.cachedInputPerMTok = cachedInputPerMTok
        }
    }

    /// The HTTP client a provider's requests go through.
    public enum Transport: String, Sendable, Hashable, CaseIterable {
        /// async-http-client on SwiftNIO: HTTP/2, pooling, BoringSSL (the default).
        case nio
        /// FoundationNetworking's URLSession (libcurl): the original path, opt-in.
        case urlsession
    }

    /// Which field carries the output limit of an OpenAI-compatible request.
    public enum MaxTokensField: String, Sendable, Hashable, CaseIterable {
        /// What most OpenAI-compatible servers (vLLM, Ollama, llama.cpp) read.
        case maxTokens = "max_tokens"
        /// What OpenAI's own API wants, and its reasoning models require.
        case maxCompletionTokens = "max_completion_tokens"
    }

    /// The limits a mock provider enforces as a server would (`server_limits`), so that the
    /// engine's rate-limit handling can be rehearsed offline.
    public struct ServerLimits: Sendable, Hashable {
        public var requestsPerMinute: Int?
        public var tokensPerMinute: Int?

        public init(requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil) {
            self.requestsPerMinute = requestsPerMinute
            self.tokensPerMinute = tokensPerMinute
        }
    }

    /// The mock's knobs. Randomness comes from `seed`, so a run is reproducible.
    public struct MockSettings: Sendable, Hashable {
        public var latency: Duration
        /// Uniform extra latency in 0...jitter.
        public var jitter: Duration
        /// Fraction 0...1 of attempts that fail with a retryable server error.
        public var failureRate: Double
        /// Fraction 0...1 of attempts that hang until the step's timeout.
        public var timeoutRate: Double
        public var seed: UInt64
        /// Answer over these limits with a 429, as a server would.
        public var serverLimits: ServerLimits?

        public init(
            latency: Duration = .zero, jitter: Duration = .zero, failureRate: Double = 0, timeoutRate: Double = 0,
            seed: UInt64 = 0, serverLimits: ServerLimits? = nil
        ) {
            self.serverLimits = serverLimits
            self.latency = latency
            self.jitter = jitter
            self.failureRate = failureRate
            self.timeoutRate = timeoutRate
            self.seed = seed
        }
    }

    public var name: String
    public var kind: Kind
    public var model: String?
    public var baseURL: String?
    /// The name of the environment variable holding the key; the key itself is never stored.
    public var apiKeyEnv: String?
    public var headers: [String: String]
    public var maxConcurrency: Int?
    public var requestsPerMinute: Int?
    /// Input plus output tokens per minute, reserved before each attempt.
    public var tokensPerMinute: Int? = nil
    public var price: Price?
    public var mock: MockSettings
    /// Allows sending a key over plain http to a host that is not loopback.
    public var allowInsecure: Bool
    public var transport: Transport = .nio
    /// A PEM file of CA certificates trusted beside the system store, as written in the
    /// file (relative paths are relative to the workflow's folder).
    public var caFile: String? = nil
    /// nil: `max_completion_tokens` for api.openai.com, `max_tokens` elsewhere.
    public var maxTokensField: MaxTokensField? = nil
    /// The server takes a JSON Schema for the answer (OpenAI's `json_schema`, Anthropic's
    /// `output_format`); off by default, since most OpenAI-compatible servers refuse it.
    public var structuredOutputs: Bool = false
    public var location: SourceLocation
    /// Where `api_key_env` is written, for the "not set" diagnostic.
    public var apiKeyEnvLocation: SourceLocation? = nil

    public init(
        name: String, kind: Kind, model: String? = nil, baseURL: String? = nil, apiKeyEnv: String? = nil,
        headers: [String: String] = [:], maxConcurrency: Int? = nil, requestsPerMinute: Int? = nil,
        price: Price? = nil, mock: MockSettings = MockSettings(), allowInsecure: Bool = false,
        location: SourceLocation
    ) {
        self.name = name
        self.kind = kind
        self.model = model
        self.baseURL = baseURL
        self.apiKeyEnv = apiKeyEnv
        self.headers = headers
        self.maxConcurrency = maxConcurrency
        self.requestsPerMinute = requestsPerMinute
        self.price = price
        self.mock = mock
        self.allowInsecure = allowInsecure
        self.location = location
    }

    /// The base URL used when the file gives none.
    public var effectiveBaseURL: String? {
        if let baseURL { return baseURL }
        switch kind {
        case .mock: return nil
        case .openai: return "https://api.openai.com/v1"
        case .anthropic: return "https://api.anthropic.com"
        }
    }
}

/// The implicit provider used when a workflow declares none: the offline mock.
extension ProviderSpec {
    public static let implicitMockName = "mock"
}
