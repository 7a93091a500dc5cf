import PFlowSpec

/// Sends one rendered prompt to a model and returns its text.
///
/// Implementations: `MockProvider` (in-process, offline), `OpenAIProvider`,
/// `AnthropicProvider`. The engine owns timeouts, retries and concurrency limits; a
/// provider makes exactly one attempt and must stop promptly when its Task is cancelled.
public protocol LLMProvider: Sendable {
    func complete(_ request: CompletionRequest) async throws(ProviderError) -> CompletionResponse
}

public struct CompletionRequest: Sendable, Hashable {
    public var model: String
    public var system: String?
    public var prompt: String
    public var maxTokens: Int
    public var temperature: Double
    /// For logs and the mock's deterministic output; never sent upstream as a secret.
    public var stepID: String
    /// 1-based attempt number.
    public var attempt: Int

    public init(
        model: String, system: String?, prompt: String, maxTokens: Int, temperature: Double, stepID: String,
        attempt: Int
    ) {
        self.model = model
        self.system = system
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.stepID = stepID
        self.attempt = attempt
    }
}

public struct TokenUsage: Sendable, Hashable, Codable {
    public var inputTokens: Int
    public var outputTokens: Int

    public init(inputTokens: Int = 0, outputTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }

    public static func + (a: TokenUsage, b: TokenUsage) -> TokenUsage {
        TokenUsage(inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens)
    }
}

public struct CompletionResponse: Sendable, Hashable {
    public var text: String
    public var usage: TokenUsage
    /// The model the server says answered.
    public var model: String?
    public var httpStatus: Int?

    public init(text: String, usage: TokenUsage, model: String? = nil, httpStatus: Int? = nil) {
        self.text = text
        self.usage = usage
        self.model = model
        self.httpStatus = httpStatus
    }
}

/// Why one attempt failed, typed so the engine can decide whether to retry.
public struct ProviderError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// 429.
        case rateLimited = "rate_limited"
        /// 5xx, 408 and 409: the server's trouble, worth another attempt.
        case server
        /// 4xx other than 408, 409 and 429 (400, 401, 403, 404...): retrying will not help.
        case client
        /// Refused, reset, DNS, TLS: no usable response.
        case connection
        /// A response pflow could not use: bad JSON, wrong shape, empty choices, too large.
        case invalidResponse = "invalid_response"
        /// The attempt's deadline passed (raised by the engine, or the mock's hang).
        case timeout
        /// The attempt was cancelled (policy, run failure, SIGINT).
        case cancelled
        /// The provider cannot be used as configured (missing key, insecure URL).
        case configuration
    }

    public var kind: Kind
    /// A message a user can act on; truncated server text, never a key.
    public var message: String
    public var httpStatus: Int?
    /// From the server's Retry-After header.
    public var retryAfter: Duration?

    public init(_ kind: Kind, _ message: String, httpStatus: Int? = nil, retryAfter: Duration? = nil) {
        self.kind = kind
        self.message = message
        self.httpStatus = httpStatus
        self.retryAfter = retryAfter
    }

    /// Timeouts, 408, 409, 429, 5xx and connection errors are worth another attempt.
    public var isRetryable: Bool {
        switch kind {
        case .rateLimited, .server, .connection, .timeout: true
        case .client, .invalidResponse, .cancelled, .configuration: false
        }
    }

    public var description: String {
        if let httpStatus { return "\(kind.rawValue) (HTTP \(httpStatus)): \(message)" }
        return "\(kind.rawValue): \(message)"
    }
}
