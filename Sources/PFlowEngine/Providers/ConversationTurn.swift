import PFlowSpec

/// One message after the prompt: the model's earlier answer, or pflow's reply to it.
public struct ConversationTurn: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable {
        case assistant
        case user
    }

    public var role: Role
    public var text: String

    public init(_ role: Role, _ text: String) {
        self.role = role
        self.text = text
    }
}

/// What a request's answer must be, as providers tell their APIs.
public indirect enum AnswerFormat: Sendable, Hashable {
    case text
    /// One JSON value, checked against the schema when there is one.
    case json(JSONSchema?)
}
