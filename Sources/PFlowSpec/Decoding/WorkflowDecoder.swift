/// Turns the YAML tree into a `Workflow`, reporting every wrong key, type and value it
/// meets instead of stopping at the first.
///
/// Parts with errors are kept in the model where they still have an id, so later checks
/// (references, `needs`) do not pile follow-on errors on top of the first one.
struct WorkflowDecoder {
    let file: String
    let source: SourceText
    private(set) var diagnostics: [Diagnostic] = []
    var schemaFiles = SchemaFileReader.unavailable
    var options = LoadOptions()

    init(file: String, source: SourceText) {
        self.file = file
        self.source = source
    }

    mutating func report(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    static let workflowKeys = [
        "version", "name", "description", "inputs", "providers", "defaults", "max_concurrency", "timeout", "steps",
        "output", "budget",
    ]
    static let inputKeys = ["description", "default", "required", "file"]
    static let providerKeys = [
        "kind", "model", "base_url", "api_key_env", "headers", "max_concurrency", "requests_per_minute", "price",
        "latency", "jitter", "failure_rate", "timeout_rate", "seed", "allow_insecure", "transport", "ca_file",
        "max_tokens_field", "structured_outputs", "tokens_per_minute", "server_limits",
    ]
    static let serverLimitKeys = ["requests_per_minute", "tokens_per_minute"]
    static let defaultsKeys = [
        "provider", "model", "timeout", "retries", "backoff", "on_timeout", "max_tokens", "temperature", "system",
        "reasoning_effort", "thinking", "on_truncated",
    ]
    static let supportedVersion = 1

    mutating func decode(_ root: YAMLNode) -> Workflow? {
        guard root.mapping != nil else {
            report(
                .error(
                    "a workflow file must be a mapping with keys like 'steps', found \(root.kindDescription)",
                    at: location(root)))
            return nil
        }
        guard let top = fields(root, owner: "the workflow", allowed: Self.workflowKeys) else { return nil }
        var workflow = Workflow(file: file, name: workflowName(top), steps: [], location: location(root))
        if let version = int(top, "version", atLeast: Int.min) {
            if version != Self.supportedVersion, let node = top["version"] {
                report(
                    .error(
                        "unsupported version \(version); this pflow reads version \(Self.supportedVersion)",
                        at: location(node)))
            }
            workflow.version = version
        }
        workflow.description = string(top, "description")?.value
        workflow.inputs = inputs(top["inputs"])
        workflow.providers = providers(top["providers"])
        workflow.defaults = defaults(top["defaults"])
        workflow.maxConcurrency = int(top, "max_concurrency", atLeast: 1)
        workflow.timeout = duration(top, "timeout")
        workflow.budget = budget(top["budget"])
        workflow.output = string(top, "output")
        if workflow.providers.isEmpty && top["providers"] == nil {
            workflow.providers = [
                ProviderSpec(name: ProviderSpec.implicitMockName, kind: .mock, location: workflow.location)
            ]
        }
        if workflow.defaults.provider == nil, workflow.providers.count == 1, let only = workflow.providers.first {
            workflow.defaults.provider = only.name
        }
        if let steps = top["steps"] {
            workflow.steps = stepList(steps, key: "steps", owner: "the workflow")
        } else {
            report(.error("the workflow has no 'steps'", at: location(root)))
        }
        return workflow
    }

    /// The name names the run folder, so it follows the id rules; without one, the file's
    /// name stands in.
    private mutating func workflowName(_ top: MappingFields) -> String {
        if let name = string(top, "name") {
            if let problem = IdentifierRules.problem(with: name.value) {
                report(.error("the workflow name '\(name.value)' \(problem)", at: name.location))
            }
            return name.value
        }
        let base = file.split(separator: "/").last.map(String.init) ?? file
        let stem = base.split(separator: ".").first.map(String.init) ?? base
        let safe = String(stem.unicodeScalars.map { IdentifierRules.isAllowed($0) ? Character($0) : "-" })
        return safe.isEmpty ? "workflow" : safe
    }

    private mutating func inputs(_ node: YAMLNode?) -> [InputSpec] {
        guard let node else { return [] }
        guard let pairs = node.mapping else {
            reportWrongType("inputs", expected: "a mapping of input names", node)
            return []
        }
        return pairs.compactMap { pair in
            guard let name = pair.key.scalar?.value else { return nil }
            if !TemplateParser.isName(name) {
                report(.error("input name '\(name)' may only use letters, digits, '_' and '-'", at: location(pair.key)))
            }
            var input = InputSpec(name: name, location: location(pair.key))
            guard !pair.value.isNull else { return input }
            guard let f = fields(pair.value, owner: "input '\(name)'", allowed: Self.inputKeys) else { return input }
            input.description = string(f, "description")?.value
            input.defaultValue = string(f, "default")?.value
            input.required = bool(f, "required") ?? true
            input.isFile = bool(f, "file") ?? false
            return input
        }
    }

    private mutating func providers(_ node: YAMLNode?) -> [ProviderSpec] {
        guard let node else { return [] }
        guard let pairs = node.mapping else {
            reportWrongType("providers", expected: "a mapping of provider names", node)
            return []
        }
        if pairs.isEmpty {
            report(.error("'providers' is empty; declare one or leave it out to use the mock", at: location(node)))
        }
        return pairs.compactMap { pair in
            guard let name = pair.key.scalar?.value else { return nil }
            if !TemplateParser.isName(name) {
                report(
                    .error("provider name '\(name)' may only use letters, digits, '_' and '-'", at: location(pair.key)))
            }
            guard let f = fields(pair.value, owner: "provider '\(name)'", allowed: Self.providerKeys) else {
                return nil
            }
            let kind: ProviderSpec.Kind? = choice(f, "kind")
            if !f.has("kind") {
                report(.error("provider '\(name)' needs a 'kind': mock, openai or anthropic", at: location(pair.key)))
            }
            var provider = ProviderSpec(name: name, kind: kind ?? .mock, location: location(pair.key))
            provider.model = string(f, "model")?.value
            if let url = string(f, "base_url") {
                provider.baseURL = url.value
                if !(url.value.hasPrefix("http://") || url.value.hasPrefix("https://")) {
                    report(
                        .error("'base_url' must start with http:// or https://, found '\(url.value)'", at: url.location)
                    )
                }
            }
            if let env = string(f, "api_key_env") {
                provider.apiKeyEnv = env.value
                provider.apiKeyEnvLocation = env.location
            }
            provider.headers = headers(f["headers"])
            provider.maxConcurrency = int(f, "max_concurrency", atLeast: 1)
            provider.requestsPerMinute = int(f, "requests_per_minute", atLeast: 1)
            provider.tokensPerMinute = int(f, "tokens_per_minute", atLeast: 1)
            provider.price = price(f["price"])
            provider.allowInsecure = bool(f, "allow_insecure") ?? false
            provider.transport = choice(f, "transport") ?? .nio
            provider.caFile = string(f, "ca_file")?.value
            provider.maxTokensField = choice(f, "max_tokens_field")
            provider.structuredOutputs = bool(f, "structured_outputs") ?? false
            provider.mock = MockSettings(
                latency: duration(f, "latency", allowZero: true) ?? .zero,
                jitter: duration(f, "jitter", allowZero: true) ?? .zero,
                failureRate: double(f, "failure_rate", in: 0...1) ?? 0,
                timeoutRate: double(f, "timeout_rate", in: 0...1) ?? 0,
                seed: int(f, "seed", atLeast: 0).map(UInt64.init) ?? 0,
                serverLimits: serverLimits(f, provider: provider))
            return provider
        }
    }

    private typealias MockSettings = ProviderSpec.MockSettings

    /// `server_limits`: only a mock has a server of its own to limit.
    private mutating func serverLimits(_ f: MappingFields, provider: ProviderSpec) -> ProviderSpec.ServerLimits? {
        guard let node = f["server_limits"] else { return nil }
        if provider.kind != .mock, let key = f.keyNode("server_limits") {
            report(
                .error(
                    "'server_limits' is for mock providers; provider '\(provider.name)' is kind "
                        + "\(provider.kind.rawValue), whose server sets its own limits",
                    at: location(key),
                    notes: ["to limit what pflow sends, use 'requests_per_minute' and 'tokens_per_minute'"]))
            return nil
        }
        guard let limits = fields(node, owner: "'server_limits'", allowed: Self.serverLimitKeys) else { return nil }
        let parsed = ProviderSpec.ServerLimits(
            requestsPerMinute: int(limits, "requests_per_minute", atLeast: 1),
            tokensPerMinute: int(limits, "tokens_per_minute", atLeast: 1))
        if !limits.has("requests_per_minute") && !limits.has("tokens_per_minute") {
            report(
                .error(
                    "'server_limits' needs 'requests_per_minute', 'tokens_per_minute' or both", at: location(node)))
        }
        return parsed == ProviderSpec.ServerLimits() ? nil : parsed
    }

    private mutating func headers(_ node: YAMLNode?) -> [String: String] {
        guard let node else { return [:] }
        guard let pairs = node.mapping else {
            reportWrongType("headers", expected: "a mapping of header names to values", node)
            return [:]
        }
        var headers: [String: String] = [:]
        for pair in pairs {
            guard let name = pair.key.scalar?.value else { continue }
            guard let value = pair.value.scalar, !pair.value.isNull else {
                reportWrongType(name, expected: "a header value", pair.value)
                continue
            }
            headers[name] = value.value
        }
        return headers
    }

    private mutating func price(_ node: YAMLNode?) -> ProviderSpec.Price? {
        let keys = ["input_per_mtok", "output_per_mtok", "cached_input_per_mtok"]
        guard let node, let f = fields(node, owner: "'price'", allowed: keys) else { return nil }
        let unbounded = 0...Double.greatestFiniteMagnitude
        return ProviderSpec.Price(
            inputPerMTok: double(f, "input_per_mtok", in: unbounded) ?? 0,
            outputPerMTok: double(f, "output_per_mtok", in: unbounded) ?? 0,
            cachedInputPerMTok: double(f, "cached_input_per_mtok", in: unbounded))
    }

    private mutating func defaults(_ node: YAMLNode?) -> StepDefaults {
        guard let node, let f = fields(node, owner: "'defaults'", allowed: Self.defaultsKeys) else {
            return StepDefaults()
        }
        var defaults = StepDefaults()
        if let provider = string(f, "provider") {
            defaults.provider = provider.value
            defaults.providerLocation = provider.location
        }
        defaults.model = string(f, "model")?.value
        defaults.timeout = duration(f, "timeout")
        defaults.retries = int(f, "retries", atLeast: 0, atMost: Self.maxRetries)
        defaults.backoff = backoff(f["backoff"])
        defaults.onTimeout = choice(f, "on_timeout")
        defaults.maxTokens = int(f, "max_tokens", atLeast: 1)
        defaults.temperature = double(f, "temperature", in: Self.temperatureRange)
        defaults.system = template(f, "system")
        defaults.reasoningEffort = choice(f, "reasoning_effort")
        defaults.thinkingBudget = int(f, "thinking", atLeast: Self.minThinkingBudget)
        defaults.onTruncated = choice(f, "on_truncated")
        return defaults
    }

    static let maxRetries = 100
    static let temperatureRange = 0.0...2.0

    mutating func backoff(_ node: YAMLNode?) -> Backoff? {
        guard let node, let f = fields(node, owner: "'backoff'", allowed: ["initial", "max"]) else { return nil }
        var backoff = Backoff()
        if let initial = duration(f, "initial") { backoff.initial = initial }
        if let max = duration(f, "max") { backoff.max = max }
        if backoff.initial > backoff.max, let node = f["initial"] ?? f["max"] {
            report(.error("backoff 'initial' is longer than its 'max'", at: location(node)))
        }
        return backoff
    }
}
