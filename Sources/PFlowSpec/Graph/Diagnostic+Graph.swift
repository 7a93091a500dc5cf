/// The findings of graph building, worded once here so every occurrence reads the same.
extension Diagnostic {
    static func duplicateNodeID(_ id: String, at location: SourceLocation, first: SourceLocation) -> Diagnostic {
        .error("duplicate id '\(id)'", at: location, notes: ["'\(id)' is first declared at \(first)"])
    }

    static func unknownNeed(_ target: Located<String>, of node: String, known: [String]) -> Diagnostic {
        .error(
            "'\(node)' needs '\(target.value)', which is not a step or block in this workflow", at: target.location,
            notes: Suggestion.note(for: target.value, in: known))
    }

    static func needsItself(_ node: String, at location: SourceLocation) -> Diagnostic {
        .error("'\(node)' needs itself", at: location)
    }

    static func needsEnclosingBlock(_ block: String, of node: String, at location: SourceLocation) -> Diagnostic {
        .error(
            "'\(node)' cannot need '\(block)', the block that contains it", at: location,
            notes: ["a block settles only after the steps inside it, so '\(node)' would wait for itself"])
    }

    static func needsOwnChild(_ child: String, of block: String, at location: SourceLocation) -> Diagnostic {
        .error(
            "'\(block)' cannot need '\(child)', which is inside it", at: location,
            notes: ["'\(child)' waits for what '\(block)' waits for, so it would wait for itself"])
    }

    static func dependencyCycle(_ path: String, at location: SourceLocation, notes: [String]) -> Diagnostic {
        .error("dependency cycle: \(path)", at: location, notes: notes)
    }

    static func unknownStepReference(_ target: String, at location: SourceLocation, known: [String]) -> Diagnostic {
        .error(
            "reference to unknown step '\(target)'", at: location,
            notes: Suggestion.note(for: target, in: known))
    }

    static func referencesItself(_ step: String, at location: SourceLocation) -> Diagnostic {
        .error("'\(step)' refers to its own output, which does not exist while it runs", at: location)
    }

    static func referencesEnclosingBlock(_ block: String, from step: String, at location: SourceLocation)
        -> Diagnostic
    {
        .error(
            "'\(step)' refers to '\(block)', the block that contains it", at: location,
            notes: ["a block settles only after the steps inside it, so '\(block)' cannot have finished"])
    }

    static func referenceNotSettled(_ target: String, isBlock: Bool, from step: String, at location: SourceLocation)
        -> Diagnostic
    {
        .error(
            "\(isBlock ? "block" : "step") '\(target)' is not guaranteed to have finished before '\(step)'; "
                + "add needs: [\(target)]", at: location)
    }
}
