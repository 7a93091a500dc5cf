/// A decoded workflow file: what the user declared, with every part's source location.
///
/// Decoding fills it from the YAML nodes; validation checks it and builds a
/// `WorkflowGraph`. Defaults are not applied here: `Workflow.settings(for:)` resolves them,
/// so diagnostics can still tell what was written from what was inherited.
public struct Workflow: Sendable {
    /// The path the workflow was loaded from, as given on the command line.
    public var file: String
    public var version: Int
    public var name: String
    public var description: String?
    public var inputs: [InputSpec]
    public var providers: [ProviderSpec]
    public var defaults: StepDefaults
    /// Run-wide cap on requests in flight.
    public var maxConcurrency: Int?
    /// Run-wide deadline.
    public var timeout: Duration?
    /// Run-wide spending cap.
    public var budget: Budget? = nil
    /// The top-level list: each item waits for the one before.
    public var steps: [StepNode]
    /// The id of the step whose text becomes result.md.
    public var output: Located<String>?
    public var location: SourceLocation

    public init(
        file: String, version: Int = 1, name: String, description: String? = nil,
        inputs: [InputSpec] = [], providers: [ProviderSpec] = [], defaults: StepDefaults = StepDefaults(),
        maxConcurrency: Int? = nil, timeout: Duration? = nil, steps: [StepNode],
        output: Located<String>? = nil, location: SourceLocation? = nil
    ) {
        self.file = file
        self.version = version
        self.name = name
        self.description = description
        self.inputs = inputs
        self.providers = providers
        self.defaults = defaults
        self.maxConcurrency = maxConcurrency
        self.timeout = timeout
        self.steps = steps
        self.output = output
        self.location = location ?? SourceLocation(file: file, line: 1, column: 1)
    }

    public func provider(named name: String) -> ProviderSpec? {
        providers.first { $0.name == name }
    }
}

/// A declared input: `{{ inputs.NAME }}`.
public struct InputSpec: Sendable, Hashable {
    public var name: String
    public var description: String?
    public var defaultValue: String?
    /// Required inputs without a default must be given with `--input`.
    public var required: Bool
    /// The value given is a path; the prompt gets the file's content.
    public var isFile: Bool
    public var location: SourceLocation

    public init(
        name: String, description: String? = nil, defaultValue: String? = nil, required: Bool = true,
        isFile: Bool = false, location: SourceLocation
    ) {
        self.name = name
        self.description = description
        self.defaultValue = defaultValue
        self.required = required
        self.isFile = isFile
        self.location = location
    }
}

/// Settings every step inherits unless it overrides them.
public struct StepDefaults: Sendable, Hashable {
    public var provider: String?
    /// Where `defaults.provider` is written; nil when pflow chose it (the only provider).
    public var providerLocation: SourceLocation? = nil
    public var model: String?
    public var timeout: Duration?
    public var retries: Int?
    public var backoff: Backoff?
    public var onTimeout: OnTimeout?
    public var maxTokens: Int?
    public var temperature: Double?
    public var system: Template?
    public var reasoningEffort: ReasoningEffort? = nil
    public var thinkingBudget: Int? = nil
    public var onTruncated: OnTruncated? = nil

    public init(
        provider: String? = nil, model: String? = nil, timeout: Duration? = nil, retries: Int? = nil,
        backoff: Backoff? = nil, onTimeout: OnTimeout? = nil, maxTokens: Int? = nil,
        temperature: Double? = nil, system: Template? = nil
    ) {
        self.provider = provider
        self.model = model
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.onTimeout = onTimeout
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.system = system
    }
}

/// Exponential backoff with full jitter between `initial` and `max`; a server's
/// Retry-After overrides it.
public struct Backoff: Sendable, Hashable {
    public var initial: Duration
    public var max: Duration

    public init(initial: Duration = .milliseconds(500), max: Duration = .seconds(20)) {
        self.initial = initial
        self.max = max
    }
}

/// How hard a reasoning model thinks before it answers (OpenAI's `reasoning_effort`).
public enum ReasoningEffort: String, Sendable, Hashable, CaseIterable {
    case minimal, low, medium, high
}

/// What a step does with an answer the model cut off at its output limit.
public enum OnTruncated: String, Sendable, Hashable, CaseIterable {
    /// Fail the attempt: a cut-off answer (half a JSON document, a list without its end) is
    /// never passed on as whole. The default.
    case fail
    /// Keep the partial answer; steps/<id>.json records that it was cut off.
    case accept
}

/// What a step does when one attempt runs past its timeout.
public enum OnTimeout: String, Sendable, Hashable, CaseIterable {
    /// Try again while retries last, then fail.
    case retry
    /// Give up on the step and mark it skipped; the block's policy decides the rest.
    case skip
    /// Fail the step at once, without retrying.
    case fail
}
