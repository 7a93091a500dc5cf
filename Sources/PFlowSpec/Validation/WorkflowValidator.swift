/// Checks a decoded workflow for what decoding cannot see one key at a time: ids, names
/// that must resolve (steps, inputs, providers), block policies and the environment.
///
/// Whether a referenced step is guaranteed to have finished, cycles and levels need the
/// DAG and are checked in Graph/.
struct WorkflowValidator {
    /// A node of the step tree, as references and `needs` see it.
    struct Declared {
        enum Kind: String {
            case step
            case parallel
            case sequence
            case map
            case reduce

            init(_ node: StepNode) {
                switch node {
                case .step: self = .step
                case .parallel: self = .parallel
                case .sequence: self = .sequence
                case .map: self = .map
                case .reduce: self = .reduce
                }
            }
        }

        var kind: Kind
        var location: SourceLocation
        /// What a single step answers: typed references into it are checked against it.
        var format: OutputFormat
        var schema: JSONSchema?

        init(_ node: StepNode) {
            kind = Kind(node)
            location = node.location
            self.node = node
            switch node {
            case .step(let step):
                format = step.format
                schema = step.schema
            case .reduce(let reduce):
                format = .json
                schema = reduce.resultSchema
            case .parallel, .sequence, .map:
                format = .text
            }
        }

        var node: StepNode
        var isBlock: Bool { kind != .step && kind != .reduce }
    }

    let workflow: Workflow
    let environment: [String: String]
    let options: LoadOptions
    private let allMaps: [MapSpec]
    private(set) var diagnostics: [Diagnostic] = []
    private var declared: [String: Declared] = [:]
    /// Lower-cased ids, so ids differing only in case (colliding on macOS disks) are caught.
    private var declaredFolded: [String: String] = [:]
    /// "Did you mean" searches left. Each compares one name with every declared one, so a
    /// file of 4,000 steps each with a misspelt reference took minutes before this bound;
    /// past it, errors come without suggestions (compilers stop at 20 errors for the same
    /// reason: nobody reads the rest).
    private var suggestionsLeft = 20

    static func validate(_ workflow: Workflow, environment: [String: String], options: LoadOptions = LoadOptions())
        -> [Diagnostic]
    {
        var validator = WorkflowValidator(workflow: workflow, environment: environment, options: options)
        validator.run()
        return validator.diagnostics
    }

    private init(workflow: Workflow, environment: [String: String], options: LoadOptions) {
        self.workflow = workflow
        self.environment = environment
        self.options = options
        self.allMaps = Self.maps(in: workflow)
    }

    private mutating func report(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    private mutating func suggest(_ word: String, in candidates: some Sequence<String>) -> [String] {
        guard suggestionsLeft > 0 else { return [] }
        suggestionsLeft -= 1
        return Suggestion.note(for: word, in: candidates)
    }

    private mutating func run() {
        workflow.steps.forEach { declare($0) }
        checkProviders()
        BudgetRules.diagnostics(for: workflow).forEach { report($0) }
        if let system = workflow.defaults.system { checkTemplate(system, inMap: nil) }
        workflow.steps.forEach { check($0) }
        if let output = workflow.output {
            if let target = declared[output.value] {
                if target.isBlock {
                    report(
                        .error(
                            "'output' must name a single step, but '\(output.value)' is a \(target.kind.rawValue) block",
                            at: output.location,
                            notes: ["add a final step whose prompt reads {{ steps.\(output.value).outputs }}"]))
                }
            } else {
                report(
                    .error(
                        "output step '\(output.value)' does not exist", at: output.location,
                        notes: suggest(output.value, in: declared.keys)))
            }
        }
    }

    // MARK: Ids

    /// Parents before children, so "first declared" is the one earlier in the file.
    private mutating func declare(_ node: StepNode) {
        let id = node.id
        if let problem = IdentifierRules.problem(with: id) {
            report(.error("the id '\(id)' \(problem)", at: node.location))
        }
        if let first = declared[id] {
            report(
                .error(
                    "duplicate id '\(id)'", at: node.location, notes: ["'\(id)' is first declared at \(first.location)"]
                ))
        } else {
            if let other = declaredFolded[id.lowercased()], let first = declared[other] {
                report(
                    .error(
                        "the id '\(id)' differs from '\(other)' only in case; their output files would collide",
                        at: node.location, notes: ["'\(other)' is declared at \(first.location)"]))
            } else {
                declaredFolded[id.lowercased()] = id
            }
            declared[id] = Declared(node)
        }
        node.children.forEach { declare($0) }
    }

    // MARK: Providers

    private mutating func checkProviders() {
        let names = workflow.providers.map(\.name)
        if let name = workflow.defaults.provider, workflow.provider(named: name) == nil {
            report(
                .unknownProvider(
                    name, known: names, suggestion: suggest(name, in: names),
                    at: workflow.defaults.providerLocation ?? workflow.location))
        }
        for provider in workflow.providers {
            if let variable = provider.apiKeyEnv, provider.kind != .mock, (environment[variable] ?? "").isEmpty {
                report(
                    Diagnostic(
                        .warning,
                        "environment variable '\(variable)' for provider '\(provider.name)' is not set; 'pflow run' will refuse to start",
                        at: provider.apiKeyEnvLocation ?? provider.location, code: .apiKeyNotSet))
            }
            if let host = Self.insecureHost(provider) {
                report(
                    .error(
                        "provider '\(provider.name)' would send its API key unencrypted to \(host)",
                        at: provider.location,
                        notes: ["use https, or set 'allow_insecure: true' if the network is trusted"]))
            }
        }
    }

    /// The host a key would go to over plain http, unless it is this machine or allowed.
    private static func insecureHost(_ provider: ProviderSpec) -> String? {
        guard provider.apiKeyEnv != nil, !provider.allowInsecure, provider.kind != .mock,
            let url = provider.baseURL, url.lowercased().hasPrefix("http://")
        else { return nil }
        let authority = url.dropFirst("http://".count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostAndPort = authority.split(separator: "@").last.map(String.init) ?? ""
        let host =
            hostAndPort.hasPrefix("[")
            ? String(hostAndPort.dropFirst().prefix { $0 != "]" })
            : String(hostAndPort.prefix { $0 != ":" })
        return LoopbackHost.contains(host) ? nil : host
    }

    /// Providers each step will use, for the unknown-provider and missing-model checks.
    private mutating func checkStepProvider(_ step: StepSpec) {
        let name = step.provider?.value ?? workflow.defaults.provider
        guard let name else {
            report(
                .error(
                    "step '\(step.id)' has no provider", at: step.location,
                    notes: ["set 'provider' on the step or 'provider' under 'defaults'"]))
            return
        }
        if let written = step.provider, workflow.provider(named: written.value) == nil {
            let names = workflow.providers.map(\.name)
            report(
                .unknownProvider(
                    written.value, known: names, suggestion: suggest(written.value, in: names), at: written.location))
            return
        }
        guard let provider = workflow.provider(named: name), provider.kind != .mock else { return }
        if step.model == nil && provider.model == nil && workflow.defaults.model == nil && !modelReported.contains(name)
        {
            modelReported.insert(name)
            report(
                .error(
                    "provider '\(name)' (\(provider.kind.rawValue)) has no 'model', and step '\(step.id)' sets none",
                    at: provider.location, notes: ["set 'model' on the provider, under 'defaults' or on each step"]))
        }
    }

    private var modelReported: Set<String> = []

    // MARK: Steps and references

    private mutating func check(_ node: StepNode) {
        checkNeeds(node)
        switch node {
        case .step(let step):
            checkStep(step, inMap: nil)
        case .parallel(let parallel):
            switch parallel.branches {
            case .steps(let children): children.forEach { check($0) }
            case .repeat(_, let step): checkStep(step, inMap: nil)
            }
            checkPolicy(parallel.policy, width: parallel.width, block: "parallel '\(parallel.id)'")
        case .sequence(let sequence):
            sequence.steps.forEach { check($0) }
        case .reduce(let reduce):
            checkReduce(reduce)
        case .map(let map):
            checkMapSource(map)
            checkStep(map.step, inMap: map)
            if case .items(let items) = map.source.value {
                checkPolicy(map.policy, width: items.count, block: "map '\(map.id)'")
            } else {
                checkPolicy(map.policy, width: nil, block: "map '\(map.id)'")
            }
        }
    }

    private mutating func checkStep(_ step: StepSpec, inMap map: MapSpec?) {
        checkStepProvider(step)
        checkTemplate(step.prompt, inMap: map)
        if let system = step.system { checkTemplate(system, inMap: map) }
    }

    private mutating func checkNeeds(_ node: StepNode) {
        let needs = if case .reduce(let reduce) = node { reduce.needs } else { node.needs }
        for need in needs where declared[need.value] == nil {
            report(
                .error(
                    "'needs' names an unknown step '\(need.value)'", at: need.location,
                    notes: suggest(need.value, in: declared.keys)))
        }
    }

    /// `over` must name a block with branches; a vote on a field needs JSON branches,
    /// and their schema, when given, must have the field.
    private mutating func checkReduce(_ reduce: ReduceSpec) {
        let over = reduce.over
        guard let target = declared[over.value] else {
            report(
                .error(
                    "reduce '\(reduce.id)' reads an unknown block '\(over.value)'", at: over.location,
                    notes: suggest(over.value, in: declared.keys)))
            return
        }
        let branchSteps: [StepSpec]
        switch target.node {
        case .parallel(let block):
            switch block.branches {
            case .repeat(_, let step): branchSteps = [step]
            case .steps(let children):
                branchSteps = children.compactMap { if case .step(let s) = $0 { s } else { nil } }
            }
        case .map(let map):
            branchSteps = [map.step]
        case .step, .sequence, .reduce:
            report(
                .error(
                    "reduce '\(reduce.id)' reads '\(over.value)', a \(target.kind.rawValue); it needs a parallel or map block",
                    at: over.location))
            return
        }
        guard case .vote(let field?) = reduce.operation else { return }
        for step in branchSteps {
            guard step.format == .json else {
                report(
                    .error(
                        "reduce '\(reduce.id)' votes on a field, but the branches of '\(over.value)' do not answer JSON",
                        at: over.location,
                        notes: ["add 'format: json' to the branch step, or leave out 'field' to vote on the text"]))
                return
            }
            if let problem = step.schema?.problem(reading: field) {
                report(
                    .error(
                        "'field: \(String(field.spelled.dropFirst()))': \(problem.message)", at: over.location,
                        notes: problem.notes))
                return
            }
        }
    }

    private mutating func checkPolicy(_ policy: BlockPolicy, width: Int?, block: String) {
        let at = policy.minSuccessLocation ?? workflow.location
        if case .count(let needed) = policy.minSuccess, let width, needed > width {
            report(.error("'min_success: \(needed)' is more than the \(width) branches of \(block)", at: at))
        }
    }

    private mutating func checkMapSource(_ map: MapSpec) {
        let at = map.source.location
        switch map.source.value {
        case .glob(let path), .lines(let path):
            if !options.allowOutside && MapPaths.reachesOutside(path) {
                report(
                    .error(
                        "'\(path)' reaches outside the workflow's folder", at: at,
                        notes: [
                            "map paths are relative to the workflow file and may not start with '/' or '~' or contain '..'",
                            "pass --allow-outside to allow it",
                        ]))
            }
        case .input(let name):
            if !workflow.inputs.contains(where: { $0.name == name }) {
                report(unknownInput(name, at: at))
            }
        case .items:
            break
        }
    }

    static let mapItemFields = ["name", "path", "content", "index"]

    private mutating func checkTemplate(_ template: Template, inMap map: MapSpec?) {
        for reference in template.references {
            let at = reference.location
            switch reference.target {
            case .input(let name):
                if !workflow.inputs.contains(where: { $0.name == name }) {
                    report(unknownInput(name, at: at))
                }
            case .stepOutput(let id):
                guard let target = knownStep(id, in: reference) else { continue }
                if target.isBlock {
                    report(
                        .error(
                            "'\(reference.expression)' reads one step's text, but '\(id)' is a \(target.kind.rawValue) block",
                            at: at, notes: ["use steps.\(id).outputs for its branches' texts"]))
                }
            case .stepJSON(let id, let path):
                guard let target = knownStep(id, in: reference) else { continue }
                checkJSONReference(reference, into: id, target, path: path)
            case .blockOutputs(let id), .blockFailed(let id):
                guard let target = knownStep(id, in: reference) else { continue }
                if !target.isBlock {
                    report(
                        .error(
                            "'\(reference.expression)' needs a block, but '\(id)' is a single step", at: at,
                            notes: ["use steps.\(id).output for its text"]))
                }
            case .mapItem(let variable, let field):
                checkMapItem(reference, variable: variable, field: field, inMap: map)
            }
        }
    }

    private mutating func checkJSONReference(
        _ reference: TemplateReference, into id: String, _ target: Declared, path: [JSONPathComponent]
    ) {
        let at = reference.location
        guard target.format == .json else {
            let kind = target.isBlock ? "is a \(target.kind.rawValue) block" : "does not answer JSON"
            report(
                .error(
                    "'\(reference.expression)' reads JSON, but '\(id)' \(kind)", at: at,
                    notes: [
                        target.isBlock
                            ? "a 'reduce' step with 'collect: { over: \(id) }' gives its branches' answers as one JSON array"
                            : "add 'format: json' to step '\(id)', or read its text with steps.\(id).output"
                    ]))
            return
        }
        guard let schema = target.schema, let problem = schema.problem(reading: path) else { return }
        report(.error("'\(reference.expression)': \(problem.message)", at: at, notes: problem.notes))
    }

    private mutating func knownStep(_ id: String, in reference: TemplateReference) -> Declared? {
        if let target = declared[id] { return target }
        report(
            .error(
                "'\(reference.expression)' refers to an unknown step '\(id)'", at: reference.location,
                notes: suggest(id, in: declared.keys)))
        return nil
    }

    private mutating func checkMapItem(
        _ reference: TemplateReference, variable: String, field: String?, inMap map: MapSpec?
    ) {
        let at = reference.location
        if let map, map.itemName != variable {
            report(
                .error(
                    "unknown reference '\(reference.expression)'; the items of map '\(map.id)' are named '\(map.itemName)'",
                    at: at))
            return
        }
        guard let map else {
            if let owner = allMaps.first(where: { $0.itemName == variable }) {
                report(.error("'\(reference.expression)' is only defined inside map '\(owner.id)'", at: at))
                return
            }
            let candidates = workflow.inputs.map { "inputs.\($0.name)" }
            var notes = suggest(reference.expression, in: candidates)
            if notes.isEmpty, let input = workflow.inputs.first(where: { $0.name == variable }) {
                notes = ["did you mean 'inputs.\(input.name)'?"]
            }
            if notes.isEmpty {
                notes = [
                    "references are inputs.NAME, steps.ID.output|outputs|failed|json, or a map's item inside its step"
                ]
            }
            report(.error("unknown reference '\(reference.expression)'", at: at, notes: notes))
            return
        }
        guard let field else { return }
        guard Self.mapItemFields.contains(field) else {
            let suggestion = Suggestion.note(for: field, in: Self.mapItemFields)
            report(
                .error(
                    "unknown field '\(field)' of map item '\(variable)'; expected name, path, content or index", at: at,
                    notes: suggestion))
            return
        }
        if field == "path", case .glob = map.source.value {
            return
        } else if field == "path" {
            report(.error("'\(reference.expression)' is only defined when the map reads files with 'glob'", at: at))
        }
    }

    private mutating func unknownInput(_ name: String, at location: SourceLocation) -> Diagnostic {
        let names = workflow.inputs.map(\.name)
        return .unknownInput(name, known: names, suggestion: suggest(name, in: names), at: location)
    }

    /// Every map in the file, found once: a reference outside any map looks them up.
    private static func maps(in workflow: Workflow) -> [MapSpec] {
        var maps: [MapSpec] = []
        workflow.steps.walk { node in
            if case .map(let map) = node { maps.append(map) }
        }
        return maps
    }
}

extension Diagnostic {
    static func unknownProvider(_ name: String, known: [String], suggestion: [String], at location: SourceLocation)
        -> Diagnostic
    {
        .error(
            "unknown provider '\(name)'", at: location,
            notes: suggestion.isEmpty ? ["declared providers: \(known.joined(separator: ", "))"] : suggestion)
    }

    static func unknownInput(_ name: String, known: [String], suggestion: [String], at location: SourceLocation)
        -> Diagnostic
    {
        .error(
            "unknown input '\(name)'", at: location,
            notes: suggestion.isEmpty && known.isEmpty ? ["declare it under 'inputs'"] : suggestion)
    }
}
