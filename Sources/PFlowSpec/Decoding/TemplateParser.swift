/// Splits a prompt into text and `{{ ... }}` references, each located in the file.
///
/// Locations come from matching the n-th `{{` of the scalar's value with the n-th `{{` of
/// its source text. That is exact for plain, literal and folded scalars and for quoted ones
/// without escapes, since YAML's line folding and quote handling never create or remove a
/// `{{`. When the counts differ (a `\u007b` escape, a `{{` in a block scalar's header
/// comment) every reference falls back to the scalar's start rather than guess.
///
/// A literal `{{` is written `{{ '{{' }}`; a lone `}}` is plain text.
enum TemplateParser {
    static let escapedOpenBraces = "'{{'"

    static func parse(_ node: YAMLNode, source: SourceText, file: String) -> (Template, [Diagnostic]) {
        let value = node.scalar?.value ?? ""
        let start = node.start.location(in: file)
        let text = Array(value.unicodeScalars)
        let openings = openBraceOffsets(in: text)
        let sourceMarks = source.openBraceMarks(from: node.start, to: node.end)
        let marks = sourceMarks.count == openings.count ? sourceMarks.map { $0.location(in: file) } : nil

        var segments: [Template.Segment] = []
        var diagnostics: [Diagnostic] = []
        var pendingText = String.UnicodeScalarView()
        var i = 0
        var ordinal = 0
        func flushText() {
            if !pendingText.isEmpty { segments.append(.text(String(pendingText))) }
            pendingText = String.UnicodeScalarView()
        }
        while i < text.count {
            guard ordinal < openings.count, openings[ordinal] == i else {
                pendingText.append(text[i])
                i += 1
                continue
            }
            let location = marks?[ordinal] ?? start
            let openAt = i
            ordinal += 1
            guard let close = closingOffset(in: text, from: i + 2) else {
                diagnostics.append(.unterminatedReference(at: location))
                pendingText.append(contentsOf: text[i...])
                break
            }
            let expression = String(String.UnicodeScalarView(text[(i + 2)..<close])).trimmingCharactersInWhitespace()
            i = close + 2
            // Openings inside the expression (only `'{{'` has one) are consumed with it.
            while ordinal < openings.count && openings[ordinal] < i { ordinal += 1 }
            if expression == escapedOpenBraces {
                pendingText.append(contentsOf: "{{".unicodeScalars)
                continue
            }
            switch target(of: expression) {
            case .success(let target):
                flushText()
                segments.append(
                    .reference(TemplateReference(target: target, expression: expression, location: location)))
            case .failure(let diagnostic):
                diagnostics.append(diagnostic.at(location))
                pendingText.append(contentsOf: text[openAt..<i])
            }
        }
        flushText()
        return (Template(source: value, segments: segments, location: start), diagnostics)
    }

    /// Non-overlapping `{{` positions, scanned left to right as the source is.
    private static func openBraceOffsets(in text: [Unicode.Scalar]) -> [Int] {
        var offsets: [Int] = []
        var i = 0
        while i + 1 < text.count {
            if text[i] == "{" && text[i + 1] == "{" {
                offsets.append(i)
                i += 2
            } else {
                i += 1
            }
        }
        return offsets
    }

    private static func closingOffset(in text: [Unicode.Scalar], from start: Int) -> Int? {
        var i = start
        while i + 1 < text.count {
            if text[i] == "}" && text[i + 1] == "}" { return i }
            i += 1
        }
        return nil
    }

    /// A problem with an expression, located once the caller knows where it is.
    struct Problem: Error {
        var message: String
        var notes: [String] = []

        func at(_ location: SourceLocation) -> Diagnostic { .error(message, at: location, notes: notes) }
    }

    static let stepFields = ["output", "outputs", "failed", "json"]

    static func target(of expression: String) -> Result<TemplateReference.Target, Problem> {
        guard !expression.isEmpty else { return .failure(Problem(message: "empty reference '{{ }}'")) }
        if let typed = typedReference(expression) { return typed }
        let parts = expression.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.allSatisfy(isName) else {
            return .failure(
                Problem(
                    message: "'\(expression)' is not a reference",
                    notes: [
                        "references are inputs.NAME, steps.ID.output|outputs|failed|json, or a map item; write a literal '{{' as {{ '{{' }}"
                    ]
                ))
        }
        switch parts[0] {
        case "inputs":
            guard parts.count == 2 else {
                return .failure(Problem(message: "'\(expression)' is not a reference; write inputs.NAME"))
            }
            return .success(.input(parts[1]))
        case "steps":
            guard parts.count == 3 else {
                return .failure(
                    Problem(
                        message:
                            "'\(expression)' is not a reference; write steps.ID.output, steps.ID.outputs or steps.ID.failed"
                    ))
            }
            switch parts[2] {
            case "output": return .success(.stepOutput(parts[1]))
            case "outputs": return .success(.blockOutputs(parts[1]))
            case "failed": return .success(.blockFailed(parts[1]))
            default:
                return .failure(
                    Problem(
                        message:
                            "unknown step field '\(parts[2])' in '\(expression)'; expected output, outputs, failed or json",
                        notes: Suggestion.note(for: parts[2], in: stepFields)))
            }
        case "env":
            return .failure(
                Problem(
                    message:
                        "templates cannot read environment variables ('\(expression)'); secrets never flow into prompts"
                ))
        default:
            guard parts.count <= 2 else { return .failure(Problem(message: "'\(expression)' is not a reference")) }
            return .success(.mapItem(variable: parts[0], field: parts.count == 2 ? parts[1] : nil))
        }
    }

    /// `steps.ID.json` followed by `.field` and `[index]` steps; nil when the expression
    /// is not a `json` reference at all.
    private static func typedReference(_ expression: String) -> Result<TemplateReference.Target, Problem>? {
        let parts = expression.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "steps", isName(String(parts[1])) else { return nil }
        let field = parts[2].prefix { $0 != "." && $0 != "[" }
        guard field == "json" else { return nil }
        let notAPath = Problem(
            message: "'\(expression)' is not a JSON path",
            notes: ["write steps.ID.json, then .field or [index] steps: steps.ID.json.items[0].name"])
        var rest = parts[2].dropFirst(field.count)
        var path: [JSONPathComponent] = []
        while let first = rest.first {
            rest = rest.dropFirst()
            if first == "." {
                let name = rest.prefix { $0 != "." && $0 != "[" }
                guard isName(String(name)) else { return .failure(notAPath) }
                path.append(.field(String(name)))
                rest = rest.dropFirst(name.count)
            } else {
                let digits = rest.prefix { $0 != "]" }
                guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let index = Int(digits), index >= 0,
                    rest.dropFirst(digits.count).first == "]"
                else { return .failure(notAPath) }
                path.append(.index(index))
                rest = rest.dropFirst(digits.count + 1)
            }
        }
        return .success(.stepJSON(String(parts[1]), path: path))
    }

    /// Ids, input names and map variables: letters, digits, `_` and `-`.
    static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy(IdentifierRules.isAllowed)
    }
}

extension Diagnostic {
    static func unterminatedReference(at location: SourceLocation) -> Diagnostic {
        .error("'{{' is not closed by '}}'", at: location, notes: ["write a literal '{{' as {{ '{{' }}"])
    }
}
