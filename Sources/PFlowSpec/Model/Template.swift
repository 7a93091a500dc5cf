/// A prompt with `{{ ... }}` references, parsed once at decode time so validation can
/// point at each reference's column and the engine renders without re-parsing.
public struct Template: Sendable, Hashable {
    public enum Segment: Sendable, Hashable {
        case text(String)
        case reference(TemplateReference)
    }

    /// The text as written in the file (after YAML scalar processing).
    public var source: String
    public var segments: [Segment]
    public var location: SourceLocation

    public init(source: String, segments: [Segment], location: SourceLocation) {
        self.source = source
        self.segments = segments
        self.location = location
    }

    public var references: [TemplateReference] {
        segments.compactMap {
            if case .reference(let r) = $0 { return r }
            return nil
        }
    }
}

/// One `{{ ... }}` in a template.
public struct TemplateReference: Sendable, Hashable {
    public enum Target: Sendable, Hashable {
        /// `{{ inputs.NAME }}`
        case input(String)
        /// `{{ steps.ID.output }}`: the step's text.
        case stepOutput(String)
        /// `{{ steps.BLOCK.outputs }}`: every successful branch under a `## id` heading.
        case blockOutputs(String)
        /// `{{ steps.ID.json }}` or `{{ steps.ID.json.field[0] }}`: a JSON step's parsed value,
        /// or the part of it at `path`.
        case stepJSON(String, path: [JSONPathComponent])
        /// `{{ steps.BLOCK.failed }}`: ids of branches that did not succeed, comma-separated.
        case blockFailed(String)
        /// `{{ AS }}` or `{{ AS.FIELD }}` inside a map; FIELD is name, path, content or index.
        case mapItem(variable: String, field: String?)
    }

    public var target: Target
    /// The expression between the braces, trimmed: `steps.brief.output`.
    public var expression: String
    /// Where the `{{` stands in the file.
    public var location: SourceLocation

    public init(target: Target, expression: String, location: SourceLocation) {
        self.target = target
        self.expression = expression
        self.location = location
    }
}
