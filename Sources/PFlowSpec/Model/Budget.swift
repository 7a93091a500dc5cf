/// A spending cap: `budget: { max_cost, max_tokens }` on the workflow or on a `parallel`
/// or `map` block. A block's budget is part of every budget around it.
public struct Budget: Sendable, Hashable {
    /// Dollars, priced from the providers' `price`.
    public var maxCost: Double?
    /// Input plus output tokens.
    public var maxTokens: Int?
    public var location: SourceLocation

    public init(maxCost: Double? = nil, maxTokens: Int? = nil, location: SourceLocation) {
        self.maxCost = maxCost
        self.maxTokens = maxTokens
        self.location = location
    }
}

extension Budget {
    /// Tokens of framing a chat API adds around each message (role, separators).
    static let tokensPerMessage = 8

    /// The input tokens a request is reserved for before it is sent, from its text alone:
    /// one token per three UTF-8 bytes, plus each message's framing. The tokenizers of
    /// OpenAI and Anthropic average about four bytes a token on English text, so this
    /// over-counts it by a third; text dense in digits, code or non-Latin scripts comes
    /// closer. The server's reported count replaces it once the answer arrives.
    public static func estimatedInputTokens(utf8Bytes: Int, messages: Int) -> Int {
        (utf8Bytes + 2) / 3 + messages * tokensPerMessage
    }

    /// The tokens text is expected to count as, rather than reserved for: four UTF-8 bytes
    /// a token, the average of English text for OpenAI's and Anthropic's tokenizers (and
    /// what the mock reports).
    public static func typicalTokens(utf8Bytes: Int) -> Int { (utf8Bytes + 3) / 4 }
}

extension ProviderSpec.Price {
    /// The dollars an attempt costs: cached input at `cachedInputPerMTok` (the full input
    /// price when the file gives none), the rest of the input and all output at theirs.
    /// Rounded to a millionth of a dollar, as run.json records it.
    public func dollars(inputTokens: Int, cachedInputTokens: Int = 0, outputTokens: Int) -> Double {
        let cached = min(max(cachedInputTokens, 0), inputTokens)
        let perMillion =
            Double(inputTokens - cached) * inputPerMTok + Double(cached) * (cachedInputPerMTok ?? inputPerMTok)
            + Double(outputTokens) * outputPerMTok
        return perMillion.rounded() / 1_000_000
    }
}
