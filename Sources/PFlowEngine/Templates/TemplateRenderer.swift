import PFlowSpec

/// Renders a step's prompt and system text from its parsed template segments.
///
/// Validation has already checked that every reference names something that settles
/// before the step starts; the renderer reads settled results from the board. A step that
/// did not succeed renders as an empty string; a block's `failed` lists it instead.
struct TemplateRenderer: Sendable {
    var inputs: [String: String]
    let board: SettlementBoard

    /// The map item in scope, with the name the map binds it to (`as:`).
    struct ItemScope: Sendable {
        var name: String
        var item: MapItem
    }

    func render(_ template: Template, item: ItemScope? = nil) throws(TemplateRenderError) -> String {
        var rendered = ""
        for segment in template.segments {
            switch segment {
            case .text(let text): rendered += text
            case .reference(let reference): rendered += try value(of: reference, item: item)
            }
        }
        return rendered
    }

    private func value(of reference: TemplateReference, item: ItemScope?) throws(TemplateRenderError) -> String {
        switch reference.target {
        case .input(let name):
            guard let value = inputs[name] else { throw TemplateRenderError("input '\(name)' has no value") }
            return value
        case .stepOutput(let id): return text(of: id)
        case .stepJSON(let id, let path): return json(of: id)?.value(at: path)?.promptText ?? ""
        case .blockOutputs(let id): return outputs(of: id)
        case .blockFailed(let id):
            let failed = failedBranches(of: id)
            return failed.isEmpty ? "none" : failed.joined(separator: ", ")
        case .mapItem(let variable, let field):
            guard let item, item.name == variable else {
                throw TemplateRenderError("'{{ \(reference.expression) }}' is not inside a map binding '\(variable)'")
            }
            return try item.item.field(field)
        }
    }

    /// A step's text; a block's outputs; a lane's last item's text.
    func text(of id: String) -> String {
        guard let settlement = board.settlement(of: id), settlement.status == .succeeded else { return "" }
        if let text = settlement.text { return text }
        if settlement.branches != nil { return outputs(of: id) }
        if let last = settlement.laneItems?.last { return text(of: last) }
        return ""
    }

    /// A JSON step's answer, parsed; nil when it did not succeed. Its answer was checked
    /// when it settled, so a parse failure here means the step never answered.
    func json(of id: String) -> JSONValue? {
        guard board.settlement(of: id)?.status == .succeeded else { return nil }
        return try? JSONValue.parse(text(of: id))
    }

    /// Every successful branch (a lane's items) under a `## id` heading, in declaration
    /// (or index) order.
    func outputs(of blockID: String) -> String {
        guard let settlement = board.settlement(of: blockID),
            let branches = settlement.branches ?? settlement.laneItems
        else { return "" }
        let succeeded = branches.filter { board.settlement(of: $0)?.status == .succeeded }
        return BlockOutputs.render(succeeded.map { (id: $0, text: text(of: $0)) })
    }

    /// Ids of branches that failed, timed out, were cancelled or skipped.
    func failedBranches(of blockID: String) -> [String] {
        guard let branches = board.settlement(of: blockID)?.branches else { return [] }
        return branches.filter { board.settlement(of: $0)?.status != .succeeded }
    }

}
