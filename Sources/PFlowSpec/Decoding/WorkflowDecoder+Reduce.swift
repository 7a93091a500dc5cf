/// `reduce:` items: a vote or a collection over a block, decided in-process.
extension WorkflowDecoder {
    static let reduceKind = "reduce"
    static let reduceKeys = ["id", "vote", "collect", "min_agreement", "tie", "needs"]
    static let voteKeys = ["over", "field"]
    static let collectKeys = ["over"]

    mutating func reduce(_ node: YAMLNode) -> ReduceSpec? {
        guard let f = fields(node, owner: "a reduce step", allowed: Self.reduceKeys) else { return nil }
        let id = string(f, "id")
        if id == nil { report(.error("a reduce step needs an 'id'", at: location(node))) }
        let name = id?.value ?? "?"
        var operation: ReduceSpec.Operation?
        var over: Located<String>?
        switch (f["vote"], f["collect"]) {
        case (let vote?, nil):
            if let v = fields(vote, owner: "'vote'", allowed: Self.voteKeys) {
                over = reduceSource(v, of: "vote")
                operation = .vote(field: voteField(v))
            }
        case (nil, let collect?):
            if let c = fields(collect, owner: "'collect'", allowed: Self.collectKeys) {
                over = reduceSource(c, of: "collect")
                operation = .collect
            }
        case (_?, _?):
            report(.error("reduce '\(name)' has both 'vote' and 'collect'; use one", at: location(node)))
        case (nil, nil):
            report(.error("reduce '\(name)' needs 'vote' or 'collect'", at: id?.location ?? location(node)))
        }
        let minAgreement = agreement(f)
        let tie: ReduceSpec.Tie = choice(f, "tie") ?? .fail
        if operation == .collect {
            for key in ["min_agreement", "tie"] where f.has(key) {
                report(.error("'\(key)' only applies to 'vote'", at: location(f.keyNode(key) ?? node)))
            }
        }
        let needs = names(f, "needs")
        guard let id, let over, let operation else { return nil }
        return ReduceSpec(
            id: id.value, over: over, operation: operation, minAgreement: minAgreement, tie: tie, needs: needs,
            location: id.location)
    }

    private mutating func reduceSource(_ f: MappingFields, of kind: String) -> Located<String>? {
        let over = string(f, "over")
        if over == nil {
            report(.error("'\(kind)' needs 'over: BLOCK', the block whose branches it reads", at: location(f.node)))
        }
        return over
    }

    /// `field: answer` or `field: verdict.label`: a JSON path without the `json` prefix.
    private mutating func voteField(_ f: MappingFields) -> [JSONPathComponent]? {
        guard let field = string(f, "field") else { return nil }
        guard case .success(.stepJSON(_, let path)) = TemplateParser.target(of: "steps.x.json." + field.value),
            !path.isEmpty
        else {
            report(
                .error(
                    "'field: \(field.value)' is not a JSON path", at: field.location,
                    notes: ["write a field name, with .name and [index] steps for nested values: verdict.label"]))
            return nil
        }
        return path
    }

    private mutating func agreement(_ f: MappingFields) -> Double? {
        guard let node = f["min_agreement"] else { return nil }
        let text = node.scalar?.value ?? ""
        guard text.hasSuffix("%"), let percent = Double(text.dropLast()), percent > 0, percent <= 100 else {
            report(
                .error(
                    "'min_agreement' must be a percentage above 0% and at most 100%, like 60%, found '\(text)'",
                    at: location(node)))
            return nil
        }
        return percent
    }
}
