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
    /// nil: not sent, the server's default applies.
    public var temperature: Double?
    public var reasoningEffort: ReasoningEffort?
    public var thinkingBudget: Int?
    public var onTruncated: OnTruncated
    /// For logs and the mock's deterministic output; never sent upstream as a secret.
    public var stepID: String
    /// 1-based attempt number.
    public var attempt: Int
    /// What the answer must be; a provider that can ask the API for JSON does.
    public var answerFormat: AnswerFormat = .text
    /// Turns after the prompt, oldest first: a repair sends the invalid answer and what
    /// was wrong with it.
    public var turns: [ConversationTurn] = []

    public init(
        model: String, system: String?, prompt: String, maxTokens: Int, temperature: Double? = nil,
        reasoningEffort: ReasoningEffort? = nil, thinkingBudget: Int? = nil, onTruncated: OnTruncated = .fail,
        stepID: String, attempt: Int
    ) {
        self.model = model
        self.system = system
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.reasoningEffort = reasoningEffort
        self.thinkingBudget = thinkingBudget
        self.onTruncated = onTruncated
        self.stepID = stepID
        self.attempt = attempt
    }

    /// A request with a step's effective settings.
    public init(
        model: String, system: String?, prompt: String, settings: StepSettings, stepID: String, attempt: Int
    ) {
        self.init(
            model: model, system: system, prompt: prompt, maxTokens: settings.maxTokens,
            temperature: settings.temperature, reasoningEffort: settings.reasoningEffort,
            thinkingBudget: settings.thinkingBudget, onTruncated: settings.onTruncated, stepID: stepID,
            attempt: attempt)
    }
}

public struct TokenUsage: Sendable, Hashable, Codable {
    public var inputTokens: Int
    /// Everything billed as output, reasoning or thinking included (both APIs count it so).
    public var outputTokens: Int
    /// The part of `outputTokens` a reasoning model spent thinking; nil when not reported.
    public var reasoningTokens: Int?
    /// The part of `inputTokens` served from the provider's prompt cache (OpenAI's
    /// `prompt_tokens_details.cached_tokens`, Anthropic's `cache_read_input_tokens`), priced
    /// at `cached_input_per_mtok`; nil when not reported.
    public var cachedInputTokens: Int?

    public init(inputTokens: Int = 0, outputTokens: Int = 0, reasoningTokens: Int? = nil, cachedInputTokens: Int? = nil)
    {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.reasoningTokens = reasoningTokens
        self.cachedInputTokens = cachedInputTokens
    }

    public static func + (a: TokenUsage, b: TokenUsage) -> TokenUsage {
        TokenUsage(
            inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens,
            reasoningTokens: sum(a.reasoningTokens, b.reasoningTokens),
            cachedInputTokens: sum(a.cachedInputTokens, b.cachedInputTokens))
    }

    /// Nil only when neither side reported the count.
    private static func sum(_ a: Int?, _ b: Int?) -> Int? { a.map { $0 + (b ?? 0) } ?? b }

    /// Input plus output, what a `max_tokens` budget counts.
    public var total: Int { inputTokens + outputTokens }

    /// What these tokens cost at `price`; nothing when the provider has none.
    public func dollars(at price: ProviderSpec.Price?) -> Double {
        price?.dollars(
            inputTokens: inputTokens, cachedInputTokens: cachedInputTokens ?? 0, outputTokens: outputTokens) ?? 0
    }
}

/// Why the model stopped: the APIs' `finish_reason` / `stop_reason`, kept as sent.
public struct FinishReason: Sendable, Hashable, CustomStringConvertible {
    public var raw: String

    public init(_ raw: String) { self.raw = raw }

    /// The answer was cut off at the output limit: OpenAI's `length`, Anthropic's `max_tokens`.
    public var isTruncation: Bool { raw == "length" || raw == "max_tokens" }

    public var description: String { raw }
}

public struct CompletionResponse: Sendable, Hashable {
    public var text: String
    public var usage: TokenUsage
    /// The model the server says answered.
    public var model: String?
    public var httpStatus: Int?
    public var finishReason: FinishReason?
    /// The server's rate-limit headers on this answer, which adjust the provider's limiter.
    public var rateLimit: RateLimitStatus? = nil

    public init(
        text: String, usage: TokenUsage, model: String? = nil, httpStatus: Int? = nil,
        finishReason: FinishReason? = nil
    ) {
        self.text = text
        self.usage = usage
        self.model = model
        self.httpStatus = httpStatus
        self.finishReason = finishReason
    }

    /// The answer as the step may use it: an empty answer is an `empty_output` failure, and
    /// one cut off at the output limit is a `truncated` failure unless the step accepts it.
    /// Both keep the usage, since the tokens were billed.
    public func checked(for request: CompletionRequest, host: String) throws(ProviderError) -> CompletionResponse {
        let truncated = finishReason?.isTruncation == true
        if text.isEmpty {
            let why =
                truncated
                ? "the model spent all \(request.maxTokens) output tokens before answering (finish reason "
                    + "\(finishReason?.raw ?? "")); raise max_tokens"
                : "finish reason \(finishReason?.raw ?? "not given")"
            var error = ProviderError(.emptyOutput, "\(host) returned an empty answer: \(why)", httpStatus: httpStatus)
            error.usage = usage
            error.finishReason = finishReason
            throw error
        }
        if truncated && request.onTruncated == .fail {
            var error = ProviderError(
                .truncated,
                "the answer from \(host) was cut off at max_tokens (\(request.maxTokens)); raise max_tokens, "
                    + "or set on_truncated: accept to keep partial answers",
                httpStatus: httpStatus)
            error.usage = usage
            error.finishReason = finishReason
            throw error
        }
        return self
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
        /// The server's certificate is not trusted or not for this host: retrying cannot help.
        case tls
        /// A well-formed answer with no text in it.
        case emptyOutput = "empty_output"
        /// An answer cut off at the output limit, with `on_truncated: fail`.
        case truncated
        /// Not sent: the attempt's worst case did not fit in a budget (raised by the engine).
        case budgetExceeded = "budget_exceeded"
        /// A `format: json` answer that is not JSON or breaks the step's schema.
        case invalidOutput = "invalid_output"
    }

    public var kind: Kind
    /// A message a user can act on; truncated server text, never a key.
    public var message: String
    public var httpStatus: Int?
    /// From the server's Retry-After header.
    public var retryAfter: Duration?
    /// What the failed attempt still cost, when an answer arrived (empty or truncated).
    public var usage: TokenUsage?
    public var finishReason: FinishReason?
    /// The server's rate-limit headers on the refusal: after a 429 the whole provider
    /// pauses until they (or `retryAfter`) say it has room again.
    public var rateLimit: RateLimitStatus? = nil

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
        // An empty answer that was not cut off is a glitch worth another sample; one that
        // spent the whole output limit would spend it again.
        case .emptyOutput: finishReason?.isTruncation != true
        // A repair, not a retry, answers an invalid output: the same request would likely
        // get the same answer.
        case .client, .invalidResponse, .cancelled, .configuration, .tls, .truncated, .invalidOutput, .budgetExceeded:
            false
        }
    }

    public var description: String {
        if let httpStatus { return "\(kind.rawValue) (HTTP \(httpStatus)): \(message)" }
        return "\(kind.rawValue): \(message)"
    }
}
