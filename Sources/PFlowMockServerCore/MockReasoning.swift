import Foundation

/// How the real APIs treat the parameters of reasoning requests: OpenAI's reasoning models
/// refuse `max_tokens` and any `temperature` but 1; Anthropic's extended thinking needs a
/// budget below `max_tokens`.
///
/// Why refuse as they do, word for word: a client that sends `max_tokens` to `o3` works
/// against a lenient mock and fails in production; the tests must see the same 400.
enum MockReasoning {
    static let efforts = ["minimal", "low", "medium", "high"]

    /// The reasoning tokens the usage reports, by effort (OpenAI's default is medium).
    static func reasoningTokens(effort: String?) -> Int {
        switch effort {
        case "minimal": 0
        case "low": 16
        case "high": 256
        default: 64
        }
    }

    /// OpenAI's 400 body for a parameter this model refuses, or nil when it takes the request.
    static func openAIRefusal(_ body: MockAPIRequest, reasoningModel: Bool) -> Data? {
        if reasoningModel, body.maxTokens != nil {
            return MockBodies.openAIInvalidRequest(
                "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
                param: "max_tokens", code: "unsupported_parameter")
        }
        if reasoningModel, let temperature = body.temperature, temperature != 1 {
            return MockBodies.openAIInvalidRequest(
                "Unsupported value: 'temperature' does not support \(number(temperature)) with this model. Only the default (1) value is supported.",
                param: "temperature", code: "unsupported_value")
        }
        guard let effort = body.reasoningEffort else { return nil }
        guard reasoningModel else {
            return MockBodies.openAIInvalidRequest(
                "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
                param: "reasoning_effort", code: "unsupported_parameter")
        }
        guard efforts.contains(effort) else {
            return MockBodies.openAIInvalidRequest(
                "Invalid value: '\(effort)'. Supported values are: 'minimal', 'low', 'medium', and 'high'.",
                param: "reasoning_effort", code: "invalid_value")
        }
        return nil
    }

    /// Anthropic's 400 body for a `thinking` setting it refuses, or nil.
    static func anthropicRefusal(_ body: MockAPIRequest) -> Data? {
        guard let thinking = body.thinking else { return nil }
        switch thinking.type {
        case "disabled":
            return nil
        case "enabled":
            guard let budget = thinking.budgetTokens else {
                return MockBodies.anthropicInvalidRequest("thinking.enabled.budget_tokens: Field required")
            }
            guard budget >= 1024 else {
                return MockBodies.anthropicInvalidRequest(
                    "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
            }
            guard budget < body.maxTokens ?? 0 else {
                return MockBodies.anthropicInvalidRequest("`max_tokens` must be greater than `thinking.budget_tokens`.")
            }
            return nil
        default:
            return MockBodies.anthropicInvalidRequest(
                "thinking: Input tag '\(thinking.type ?? "")' found using 'type' does not match any of the expected tags: 'enabled', 'disabled'"
            )
        }
    }

    /// A number as the APIs print it back: `0.2`, `2`, not `2.0`.
    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
