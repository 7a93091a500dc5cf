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

    var model: String?
    var max_tokens: Int?
    var system: Text?
    var messages: [Message]?

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
