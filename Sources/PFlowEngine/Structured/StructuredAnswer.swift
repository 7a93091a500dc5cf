import PFlowSpec

/// The rules of a `format: json` step's answer, in one place: what the request tells the
/// model, how an answer is checked, and what a repair says back.
enum StructuredAnswer {
    /// Appended to the prompt of every JSON request. The APIs' own JSON modes are not
    /// enough alone: OpenAI's `json_object` mode refuses a conversation that never says
    /// "JSON", and Anthropic has no schema parameter on most models.
    static func instructions(schema: JSONSchema?) -> String {
        guard let schema else { return "Answer with one JSON value and nothing else: no prose, no code fence." }
        return "Answer with one JSON value and nothing else: no prose, no code fence. "
            + "It must match this JSON Schema: \(schema.wireValue.compactText)"
    }

    /// The parsed answer, or an `invalid_output` failure listing every problem found.
    static func check(_ response: CompletionResponse, schema: JSONSchema?) -> Result<JSONValue, ProviderError> {
        let problems: [String]
        do {
            let value = try JSONValue.parse(response.text)
            problems = schema?.violations(of: value).map(\.description) ?? []
            if problems.isEmpty { return .success(value) }
        } catch {
            problems = ["not valid JSON: \(error.description)"]
        }
        var error = ProviderError(
            .invalidOutput, "the answer " + summary(of: problems), httpStatus: response.httpStatus)
        error.usage = response.usage
        error.finishReason = response.finishReason
        return .failure(error)
    }

    /// At most this many problems are listed in a message or a repair; the rest are counted.
    static let listedProblems = 10

    private static func summary(of problems: [String]) -> String {
        if problems.count == 1, let only = problems.first, only.hasPrefix("not valid JSON") { return "is \(only)" }
        let listed = problems.prefix(listedProblems).joined(separator: "; ")
        let more = problems.count > listedProblems ? "; and \(problems.count - listedProblems) more" : ""
        return "breaks the schema: \(listed)\(more)"
    }

    /// The user turn that follows an invalid answer.
    static func repairRequest(after failure: ProviderError) -> String {
        "Your answer was rejected: \(failure.message). Reply again with only the corrected JSON value."
    }
}
