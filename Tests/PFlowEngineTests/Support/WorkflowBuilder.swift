import Foundation
import PFlowSpec
import Testing

/// Hand-built workflows for engine tests, independent of the YAML loader.
enum Build {
    static let here = SourceLocation(file: "test.yaml", line: 1, column: 1)

    /// Parses `{{ ... }}` the way the spec layer does, enough for tests.
    static func template(_ source: String) -> Template {
        var segments: [Template.Segment] = []
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { segments.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            let expression = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            segments.append(
                .reference(TemplateReference(target: target(expression), expression: expression, location: here)))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { segments.append(.text(String(rest))) }
        return Template(source: source, segments: segments, location: here)
    }

    private static func target(_ expression: String) -> TemplateReference.Target {
        let parts = expression.split(separator: ".").map(String.init)
        switch (parts.first, parts.count) {
        case ("inputs", 2): return .input(parts[1])
        case ("steps", 3) where parts[2] == "output": return .stepOutput(parts[1])
        case ("steps", 3) where parts[2] == "outputs": return .blockOutputs(parts[1])
        case ("steps", 3) where parts[2] == "failed": return .blockFailed(parts[1])
        case (_, 1): return .mapItem(variable: parts[0], field: nil)
        default: return .mapItem(variable: parts[0], field: parts[1])
        }
    }

    static func step(
        _ id: String, _ prompt: String = "Say something.", provider: String? = nil, timeout: Duration? = nil,
        retries: Int? = nil, backoff: Backoff? = nil, onTimeout: OnTimeout? = nil, needs: [String] = []
    ) -> StepNode {
        .step(
            stepSpec(
                id, prompt, provider: provider, timeout: timeout, retries: retries, backoff: backoff,
                onTimeout: onTimeout, needs: needs))
    }

    static func stepSpec(
        _ id: String, _ prompt: String = "Say something.", provider: String? = nil, timeout: Duration? = nil,
        retries: Int? = nil, backoff: Backoff? = nil, onTimeout: OnTimeout? = nil, needs: [String] = []
    ) -> StepSpec {
        StepSpec(
            id: id, prompt: template(prompt), provider: provider.map { Located($0, at: here) }, timeout: timeout,
            retries: retries, backoff: backoff, onTimeout: onTimeout, needs: needs.map { Located($0, at: here) },
            location: here)
    }

    static func parallel(
        _ id: String, _ children: [StepNode], minSuccess: SuccessPolicy = .all, stragglers: Stragglers = .wait,
        timeout: Duration? = nil, maxConcurrency: Int? = nil
    ) -> StepNode {
        .parallel(
            ParallelSpec(
                id: id, branches: .steps(children),
                policy: BlockPolicy(
                    minSuccess: minSuccess, stragglers: stragglers, timeout: timeout, maxConcurrency: maxConcurrency),
                location: here))
    }

    static func repeated(_ id: String, count: Int, prompt: String = "Vote.") -> StepNode {
        .parallel(ParallelSpec(id: id, branches: .repeat(count: count, step: stepSpec(id, prompt)), location: here))
    }

    static func lane(_ id: String, _ steps: [StepNode]) -> StepNode {
        .sequence(SequenceSpec(id: id, steps: steps, location: here))
    }

    static func map(
        _ id: String, over source: MapSpec.Source, as name: String = "item", prompt: String,
        minSuccess: SuccessPolicy = .all, maxConcurrency: Int? = nil
    ) -> StepNode {
        .map(
            MapSpec(
                id: id, source: Located(source, at: here), itemName: name, step: stepSpec(id, prompt),
                policy: BlockPolicy(minSuccess: minSuccess, maxConcurrency: maxConcurrency), location: here))
    }

    static func workflow(
        _ steps: [StepNode], file: String = "test.yaml", providers: [ProviderSpec] = [], inputs: [InputSpec] = [],
        defaults: StepDefaults = StepDefaults(), maxConcurrency: Int? = nil, timeout: Duration? = nil,
        output: String? = nil
    ) -> Workflow {
        // Valid as a file would be: a declared provider, and a default for steps naming none.
        let providers = providers.isEmpty ? [mock()] : providers
        var defaults = defaults
        if defaults.provider == nil { defaults.provider = providers[0].name }
        return Workflow(
            file: file, name: "test", inputs: inputs, providers: providers, defaults: defaults,
            maxConcurrency: maxConcurrency, timeout: timeout, steps: steps, output: output.map { Located($0, at: here) }
        )
    }

    static func mock(_ name: String = "mock", maxConcurrency: Int? = nil, settings: ProviderSpec.MockSettings = .init())
        -> ProviderSpec
    {
        ProviderSpec(name: name, kind: .mock, maxConcurrency: maxConcurrency, mock: settings, location: here)
    }
}

extension Workflow {
    /// The form the engine accepts: a workflow built in code goes through the same checks
    /// as a file, and the test stops if they fail.
    func compiled() throws -> CompiledWorkflow {
        let compilation = WorkflowCompiler.compile(self)
        return try #require(compilation.compiled, "\(compilation.diagnostics.map(\.rendered))")
    }
}
