import Foundation

/// The fields of an OpenAI or Anthropic request body the mock server reads.
///
/// Why Codable and not JSONSerialization: at thousands of requests a second the `Any`
/// casts of JSONSerialization were most of the server's CPU time.
struct MockAPIRequest: Decodable {
    struct Message: Decodable {
        var role: String?
        var content: Text?
    }

    /// A string, or a list of content parts of which the `text` ones count.
    struct Text: Decodable {
        var value: String

        struct Part: Decodable {
            var text: String?
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let string = try? container.decode(String.self) {
                value = string
            } else {
                value = try container.decode([Part].self).compactMap(\.text).joined(separator: "\n")
            }
        }
    }

    /// Anthropic's extended thinking: `{"type": "enabled", "budget_tokens": N}`.
    struct Thinking: Decodable {
        var type: String?
        var budgetTokens: Int?

        enum CodingKeys: String, CodingKey {
            case type
            case budgetTokens = "budget_tokens"
        }
    }

    var model: String?
    var maxTokens: Int?
    /// OpenAI's limit for reasoning models, which refuse `max_tokens`.
    var maxCompletionTokens: Int?
    var temperature: Double?
    var reasoningEffort: String?
    var thinking: Thinking?
    var system: Text?
    var messages: [Message]?
    /// The body's top-level keys, sorted: the log shows which parameters a client sent.
    var parameterNames: [String]

    enum CodingKeys: String, CodingKey {
        case model, temperature, thinking, system, messages
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case reasoningEffort = "reasoning_effort"
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxTokens)
        maxCompletionTokens = try container.decodeIfPresent(Int.self, forKey: .maxCompletionTokens)
        temperature = try container.decodeIfPresent(Double.self, forKey: .temperature)
        reasoningEffort = try container.decodeIfPresent(String.self, forKey: .reasoningEffort)
        thinking = try container.decodeIfPresent(Thinking.self, forKey: .thinking)
        system = try container.decodeIfPresent(Text.self, forKey: .system)
        messages = try container.decodeIfPresent([Message].self, forKey: .messages)
        parameterNames = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue).sorted()
    }

    /// The system prompt (Anthropic's field or OpenAI's system messages) and the user text.
    var prompt: (system: String, user: String) {
        var system = self.system?.value ?? ""
        var user: [String] = []
        for message in messages ?? [] {
            let text = message.content?.value ?? ""
            if message.role == "system" { system += text } else { user.append(text) }
        }
        return (system, user.joined(separator: "\n"))
    }
}
