/// A step's effective settings: its own values, else the workflow's `defaults:`, else
/// pflow's built-in defaults (documented in docs/workflow-format.md).
///
/// One resolution shared by the plan and the engine, so the worst case `pflow plan` prints
/// is the one `pflow run` can reach.
public struct StepSettings: Sendable {
    public static let builtInTimeout: Duration = .seconds(300)
    public static let builtInRetries = 2
    public static let builtInMaxTokens = 1024

    public var providerName: String
    public var model: String?
    public var system: Template?
    /// Sent only when the workflow sets it: OpenAI's reasoning models refuse any value but 1,
    /// and every API has a sensible default of its own.
    public var temperature: Double?
    public var maxTokens: Int
    /// Per attempt.
    public var timeout: Duration
    public var retries: Int
    public var backoff: Backoff
    public var onTimeout: OnTimeout
    public var reasoningEffort: ReasoningEffort?
    public var thinkingBudget: Int?
    public var onTruncated: OnTruncated

    public init(step: StepSpec, workflow: Workflow) {
        let defaults = workflow.defaults
        providerName = step.provider?.value ?? defaults.provider ?? Self.fallbackProvider(of: workflow)
        model = step.model ?? defaults.model
        system = step.system ?? defaults.system
        temperature = step.temperature ?? defaults.temperature
        maxTokens = step.maxTokens ?? defaults.maxTokens ?? Self.builtInMaxTokens
        timeout = step.timeout ?? defaults.timeout ?? Self.builtInTimeout
        retries = max(0, step.retries ?? defaults.retries ?? Self.builtInRetries)
        backoff = step.backoff ?? defaults.backoff ?? Backoff()
        onTimeout = step.onTimeout ?? defaults.onTimeout ?? .retry
        reasoningEffort = step.reasoningEffort ?? defaults.reasoningEffort
        thinkingBudget = step.thinkingBudget ?? defaults.thinkingBudget
        onTruncated = step.onTruncated ?? defaults.onTruncated ?? .fail
    }

    /// With one declared provider it is the default; with none, the built-in mock.
    public static func fallbackProvider(of workflow: Workflow) -> String {
        workflow.providers.count == 1 ? workflow.providers[0].name : ProviderSpec.implicitMockName
    }
}
