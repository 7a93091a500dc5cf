/// How `{{ steps.BLOCK.outputs }}` reads: every successful branch, in order, under a
/// `## id` heading, separated by a blank line, each text without its trailing newlines.
///
/// One rule for the engine, which renders it for the run, and for the plan's cost model,
/// which renders it from the mock's answers: the two must count the same tokens.
public enum BlockOutputs {
    public static func render(_ sections: [(id: String, text: String)]) -> String {
        sections.map { "## \($0.id)\n\n" + trimmingTrailingNewlines($0.text) }.joined(separator: "\n\n")
    }

    private static func trimmingTrailingNewlines(_ text: String) -> String {
        var trimmed = Substring(text)
        while trimmed.last?.isNewline == true { trimmed.removeLast() }
        return String(trimmed)
    }
}
