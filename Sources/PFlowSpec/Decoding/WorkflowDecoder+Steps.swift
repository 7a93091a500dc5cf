/// Steps and the blocks that group them.
extension WorkflowDecoder {
    static let stepKeys = [
        "id", "prompt", "system", "provider", "model", "temperature", "max_tokens", "timeout", "retries", "backoff",
        "on_timeout", "needs", "reasoning_effort", "thinking", "on_truncated", "format", "schema", "schema_file",
        "repair",
    ]
    /// Anthropic's floor for extended thinking's `budget_tokens`.
    static let minThinkingBudget = 1024
    /// The keys that make a list item something other than a plain step.
    static let blockKinds = BlockKind.allCases.map(\.rawValue) + [reduceKind]
    static let parallelKeys = [
        "id", "steps", "repeat", "step", "min_success", "stragglers", "timeout", "max_concurrency", "needs", "budget",
    ]
    static let sequenceKeys = ["id", "steps", "needs"]
    static let mapKeys = [
        "id", "over", "as", "step", "min_success", "stragglers", "timeout", "max_concurrency", "needs", "budget",
    ]
    static let mapSourceKeys = ["glob", "items", "lines", "input"]
    /// Branches a `repeat` may ask for; far beyond any vote, short of a typo's `repeat: 5000000`.
    static let maxRepeat = 10_000

    mutating func stepList(_ node: YAMLNode, key: String, owner: String) -> [StepNode] {
        guard let items = node.sequence else {
            reportWrongType(key, expected: "a list of steps", node)
            return []
        }
        if items.isEmpty { report(.error("'\(key)' of \(owner) is empty", at: location(node))) }
        var nodes: [StepNode] = []
        for item in items { if let node = stepNode(item) { nodes.append(node) } }
        return nodes
    }

    private mutating func stepNode(_ node: YAMLNode) -> StepNode? {
        guard let pairs = node.mapping else {
            if case .invalid = node.content { return nil }
            report(
                .error(
                    "a step must be a mapping with 'id' and 'prompt', found \(node.kindDescription)", at: location(node)
                ))
            return nil
        }
        guard let blockPair = pairs.first(where: { Self.blockKinds.contains($0.key.scalar?.value ?? "") }),
            let kind = blockPair.key.scalar?.value
        else {
            return step(node, innerOf: nil).map(StepNode.step)
        }
        let siblings = pairs.filter { $0.key !== blockPair.key }
        if let first = siblings.first {
            let notes = blockPair.value.isNull ? ["indent the block's keys under '\(kind):'"] : []
            report(
                .error(
                    "'\(kind)' must be the only key of its list item; put '\(first.key.scalar?.value ?? "")' inside the block",
                    at: location(first.key), notes: notes))
        }
        if blockPair.value.isNull && !siblings.isEmpty { return nil }
        switch kind {
        case "parallel": return parallel(blockPair.value).map(StepNode.parallel)
        case "sequence": return sequence(blockPair.value).map(StepNode.sequence)
        case Self.reduceKind: return reduce(blockPair.value).map(StepNode.reduce)
        default: return map(blockPair.value).map(StepNode.map)
        }
    }

    /// A block's inner step (`repeat`, `map`) takes the block's id; `innerOf` names the block.
    mutating func step(_ node: YAMLNode, innerOf block: (kind: String, id: String)?) -> StepSpec? {
        let owner = block.map { "the step of \($0.kind) '\($0.id)'" } ?? "a step"
        guard let f = fields(node, owner: owner, allowed: Self.stepKeys) else { return nil }
        let id: Located<String>?
        if let block {
            for key in ["id", "needs"] where f.has(key) {
                let advice =
                    key == "id"
                    ? "its branches are named \(block.id).0, \(block.id).1, ..." : "put 'needs' on the block"
                report(
                    .error(
                        "the step of \(block.kind) '\(block.id)' cannot have its own '\(key)'",
                        at: location(f.keyNode(key) ?? node),
                        notes: [advice]))
            }
            id = Located(block.id, at: location(node))
        } else {
            id = string(f, "id")
            if id == nil { report(.error("a step needs an 'id'", at: location(node))) }
        }
        let prompt = template(f, "prompt")
        // A misspelt 'prompt' is already reported with a suggestion; one mistake, one error.
        let promptMisspelt =
            node.mapping?.contains { pair in
                pair.key.scalar.map {
                    !Self.stepKeys.contains($0.value) && Suggestion.closest(to: $0.value, in: Self.stepKeys) == "prompt"
                } ?? false
            } ?? false
        let promptBlank = prompt.map { $0.source.trimmingCharactersInWhitespace().isEmpty } ?? (f["prompt"] == nil)
        if let key = f.keyNode("prompt"), promptBlank {
            report(.error("'prompt' is empty", at: location(key)))
        } else if prompt == nil && id != nil && !promptMisspelt && !f.has("prompt") {
            let name = block == nil ? "step '\(id?.value ?? "")'" : owner
            report(.error("\(name) needs a 'prompt'", at: id?.location ?? location(node)))
        }
        let spec = StepSpec(
            id: id?.value ?? "",
            prompt: prompt ?? Template(source: "", segments: [], location: location(node)),
            system: template(f, "system"),
            provider: string(f, "provider"),
            model: string(f, "model")?.value,
            temperature: double(f, "temperature", in: Self.temperatureRange),
            maxTokens: int(f, "max_tokens", atLeast: 1),
            timeout: duration(f, "timeout"),
            retries: int(f, "retries", atLeast: 0, atMost: Self.maxRetries),
            backoff: backoff(f["backoff"]),
            onTimeout: choice(f, "on_timeout"),
            reasoningEffort: choice(f, "reasoning_effort"),
            thinkingBudget: int(f, "thinking", atLeast: Self.minThinkingBudget),
            onTruncated: choice(f, "on_truncated"),
            format: choice(f, "format") ?? .text,
            schema: nil,
            repair: int(f, "repair", atLeast: 0, atMost: Self.maxRetries),
            needs: block == nil ? names(f, "needs") : [],
            location: id?.location ?? location(node))
        return id == nil ? nil : structured(spec, f)
    }

    private mutating func blockID(_ f: MappingFields, kind: String) -> Located<String>? {
        let id = string(f, "id")
        if id == nil { report(.error("a \(kind) block needs an 'id'", at: location(f.node))) }
        return id
    }

    private mutating func parallel(_ node: YAMLNode) -> ParallelSpec? {
        guard let f = fields(node, owner: "a parallel block", allowed: Self.parallelKeys) else { return nil }
        let id = blockID(f, kind: "parallel")
        let name = id?.value ?? "?"
        var branches: ParallelSpec.Branches?
        switch (f["steps"], f["repeat"], f["step"]) {
        case (let steps?, nil, nil):
            branches = .steps(stepList(steps, key: "steps", owner: "parallel '\(name)'"))
        case (nil, _?, let stepNode?):
            let count = int(f, "repeat", atLeast: 1, atMost: Self.maxRepeat)
            if let inner = step(stepNode, innerOf: ("parallel", name)), let count {
                branches = .repeat(count: count, step: inner)
            }
        case (nil, _?, nil):
            report(
                .error(
                    "parallel '\(name)' has 'repeat' but no 'step' to repeat", at: location(f.keyNode("repeat") ?? node)
                ))
        case (nil, nil, _?):
            report(
                .error("parallel '\(name)' has a 'step' but no 'repeat: N'", at: location(f.keyNode("step") ?? node)))
        case (nil, nil, nil):
            report(
                .error("parallel '\(name)' needs 'steps', or 'repeat' with 'step'", at: id?.location ?? location(node)))
        case (_?, _, _):
            report(
                .error(
                    "parallel '\(name)' has both 'steps' and 'repeat'/'step'; use one",
                    at: location(f.keyNode("repeat") ?? f.keyNode("step") ?? node)))
        }
        let policy = blockPolicy(f)
        guard let id, let branches else { return nil }
        return ParallelSpec(
            id: id.value, branches: branches, policy: policy, needs: names(f, "needs"), location: id.location)
    }

    private mutating func sequence(_ node: YAMLNode) -> SequenceSpec? {
        guard let f = fields(node, owner: "a sequence block", allowed: Self.sequenceKeys) else { return nil }
        let id = blockID(f, kind: "sequence")
        var steps: [StepNode] = []
        if let list = f["steps"] {
            steps = stepList(list, key: "steps", owner: "sequence '\(id?.value ?? "?")'")
        } else {
            report(.error("sequence '\(id?.value ?? "?")' needs 'steps'", at: id?.location ?? location(node)))
        }
        let needs = names(f, "needs")
        guard let id else { return nil }
        return SequenceSpec(id: id.value, steps: steps, needs: needs, location: id.location)
    }

    private mutating func map(_ node: YAMLNode) -> MapSpec? {
        guard let f = fields(node, owner: "a map block", allowed: Self.mapKeys) else { return nil }
        let id = blockID(f, kind: "map")
        let name = id?.value ?? "?"
        let source = mapSource(f, block: name)
        var itemName = "item"
        if let variable = string(f, "as") {
            if !TemplateParser.isName(variable.value) || ["inputs", "steps", "env"].contains(variable.value) {
                report(
                    .error(
                        "'as: \(variable.value)' must be a name of letters, digits, '_' and '-', other than inputs, steps and env",
                        at: variable.location))
            } else {
                itemName = variable.value
            }
        }
        var inner: StepSpec?
        if let stepNode = f["step"] {
            inner = step(stepNode, innerOf: ("map", name))
        } else {
            report(.error("map '\(name)' needs a 'step' to run for each item", at: id?.location ?? location(node)))
        }
        let policy = blockPolicy(f)
        let needs = names(f, "needs")
        guard let id, let source, let inner else { return nil }
        return MapSpec(
            id: id.value, source: source, itemName: itemName, step: inner, policy: policy, needs: needs,
            location: id.location)
    }

    private mutating func mapSource(_ block: MappingFields, block name: String) -> Located<MapSpec.Source>? {
        guard let node = block["over"] else {
            report(.error("map '\(name)' needs 'over': glob, items, lines or input", at: location(block.node)))
            return nil
        }
        guard let f = fields(node, owner: "'over'", allowed: Self.mapSourceKeys) else { return nil }
        let given = Self.mapSourceKeys.filter { f.has($0) }
        guard given.count == 1, let key = given.first, let value = f[key] else {
            let message =
                given.count > 1
                ? "'over' takes one of glob, items, lines or input, found \(given.joined(separator: " and "))"
                : "'over' needs one of glob, items, lines or input"
            report(.error(message, at: location(node)))
            return nil
        }
        let at = location(value)
        if key == "items" {
            guard let items = value.sequence else {
                reportWrongType("items", expected: "a list", value)
                return nil
            }
            if items.isEmpty { report(.error("'items' is empty", at: at)) }
            var texts: [String] = []
            for item in items {
                guard let scalar = item.scalar, !item.isNull else {
                    report(.error("map items must be text, found \(item.kindDescription)", at: location(item)))
                    continue
                }
                texts.append(scalar.value)
            }
            return Located(.items(texts), at: at)
        }
        guard let text = string(f, key)?.value else { return nil }
        guard !text.isEmpty else {
            report(.error("'\(key)' is empty", at: at))
            return nil
        }
        switch key {
        case "glob": return Located(.glob(text), at: at)
        case "lines": return Located(.lines(text), at: at)
        default: return Located(.input(text), at: at)
        }
    }

    private mutating func blockPolicy(_ f: MappingFields) -> BlockPolicy {
        var policy = BlockPolicy()
        if let node = f["min_success"] {
            policy.minSuccessLocation = location(node)
            policy.minSuccess = successPolicy(node) ?? .all
        }
        policy.stragglers = choice(f, "stragglers") ?? .wait
        if policy.stragglers == .cancel, policy.minSuccess == .all, let node = f["stragglers"] {
            report(
                .warning(
                    "'stragglers: cancel' has no effect while every branch must succeed", at: location(node),
                    notes: ["set 'min_success' to the number of branches to wait for"]))
        }
        policy.timeout = duration(f, "timeout")
        policy.maxConcurrency = int(f, "max_concurrency", atLeast: 1)
        policy.budget = budget(f["budget"])
        return policy
    }

    private mutating func successPolicy(_ node: YAMLNode) -> SuccessPolicy? {
        let at = location(node)
        guard let scalar = node.scalar else {
            reportWrongType("min_success", expected: "all, a number or a percentage", node)
            return nil
        }
        if scalar.value == "all" { return .all }
        if let count = scalar.int {
            guard count >= 1 else {
                report(.error("'min_success' must be 1 or more, found \(count)", at: at))
                return nil
            }
            return .count(count)
        }
        if scalar.value.hasSuffix("%"), let percent = Double(scalar.value.dropLast()), percent.isFinite {
            guard percent > 0 && percent <= 100 else {
                report(
                    .error(
                        "'min_success' must be a percentage above 0% and at most 100%, found \(scalar.value)", at: at))
                return nil
            }
            return .percent(percent)
        }
        report(
            .error(
                "'min_success' must be all, a number of branches or a percentage like 90%, found '\(scalar.value)'",
                at: at))
        return nil
    }
}
