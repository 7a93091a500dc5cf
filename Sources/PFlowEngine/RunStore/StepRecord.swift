import PFlowSpec

/// steps/<id>.json: everything about one step's requests, for debugging and `resume`.
/// Holds the rendered prompt but never a key: providers keep keys in memory only.
public struct StepRecord: Sendable, Codable {
    public struct Failure: Sendable, Codable, Hashable {
        public var kind: String
        public var message: String
        public var retryable: Bool
    }

    public struct Attempt: Sendable, Codable {
        public var number: Int
        public var span: String
        public var status: NodeStatus
        /// The backoff waited before this attempt (Retry-After when the server sent one).
        public var delayBeforeSeconds: Double
        public var startedAt: String
        public var endedAt: String
        public var durationSeconds: Double
        public var httpStatus: Int?
        public var error: Failure?
        public var inputTokens: Int?
        public var outputTokens: Int?
        /// Of `outputTokens`, what a reasoning model spent thinking, when the server says.
        public var reasoningTokens: Int? = nil
        /// The API's `finish_reason` / `stop_reason`: `stop`, `length`, `max_tokens`, ...
        public var finishReason: String? = nil
        /// How long this attempt waited for its provider's `requests_per_minute`, after it
        /// had its concurrency slots; the report draws it apart from the wait for a slot.
        public var rateLimitWaitSeconds: Double? = nil
        /// How long this attempt waited, slots in hand, for other attempts' budget
        /// reservations to settle before its own fitted.
        public var budgetWaitSeconds: Double? = nil
        /// For a repair (not a retry): the message that followed the invalid answer, with its errors.
        public var repair: String? = nil

        enum CodingKeys: String, CodingKey {
            case number, span, status, error, repair
            case reasoningTokens = "reasoning_tokens"
            case finishReason = "finish_reason"
            case rateLimitWaitSeconds = "rate_limit_wait_seconds"
            case budgetWaitSeconds = "budget_wait_seconds"
            case delayBeforeSeconds = "delay_before_seconds"
            case startedAt = "started_at"
            case endedAt = "ended_at"
            case durationSeconds = "duration_seconds"
            case httpStatus = "http_status"
            case inputTokens = "input_tokens"
            case outputTokens = "output_tokens"
        }
    }

    public var id: String
    public var status: NodeStatus
    public var provider: String
    public var providerKind: String
    public var model: String
    public var system: String?
    public var prompt: String?
    public var maxTokens: Int
    public var temperature: Double?
    public var timeoutSeconds: Double
    public var attempts: [Attempt]
    public var inputTokens: Int
    public var outputTokens: Int
    public var costUSD: Double
    public var startedAt: String
    public var endedAt: String?
    public var durationSeconds: Double?
    public var error: Failure?
    /// steps/<id>.md, once written.
    public var output: String?
    /// What was asked, as a hash (`requestHash`): `pflow resume` reuses a succeeded step
    /// only when the request it would send now is the same.
    public var requestSHA256: String?
    /// Of `attempts`, how many were repairs of an invalid JSON answer; retries are the rest.
    public var repairs: Int? = nil
    /// A `format: json` step's parsed answer. Written, not read back: a resumed step
    /// reads its answer from steps/<id>.md.
    public var value: JSONValue? = nil

    enum CodingKeys: String, CodingKey {
        case id, status, provider, model, system, prompt, temperature, attempts, error, output, repairs
        case providerKind = "provider_kind"
        case maxTokens = "max_tokens"
        case timeoutSeconds = "timeout_seconds"
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case costUSD = "cost_usd"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case durationSeconds = "duration_seconds"
        case requestSHA256 = "request_sha256"
    }

    /// The hash of everything that decides a step's answer: provider, model, system,
    /// prompt, max_tokens, temperature, reasoning effort and thinking budget. Fields are
    /// length-prefixed and optional ones marked, so no two requests share an encoding.
    static func requestHash(
        provider: String, model: String, system: String?, prompt: String, maxTokens: Int, temperature: Double?,
        reasoningEffort: String? = nil, thinkingBudget: Int? = nil
    ) -> String {
        var bytes: [UInt8] = Array("pflow-request-2".utf8)
        let optional = { (value: String?) in value.map { "+" + $0 } ?? "-" }
        let fields = [
            provider, model, optional(system), prompt, String(maxTokens), optional(temperature.map { String($0) }),
            optional(reasoningEffort), optional(thinkingBudget.map { String($0) }),
        ]
        for field in fields {
            let utf8 = Array(field.utf8)
            bytes.append(contentsOf: Array(String(utf8.count).utf8))
            bytes.append(0x3A)
            bytes.append(contentsOf: utf8)
        }
        return SHA256.hex(bytes)
    }
}
