import PFlowSpec

/// A step's effective settings: its own values, else the workflow's `defaults:`, else
/// pflow's built-in defaults (documented in docs/workflow-format.md).
struct StepSettings: Sendable {
    static let builtInTimeout: Duration = .seconds(300)
    static let builtInRetries = 2
    static let builtInMaxTokens = 1024
    static let builtInTemperature = 0.2

    var providerName: String
    var model: String?
    var system: Template?
    var temperature: Double
    var maxTokens: Int
    /// Per attempt.
    var timeout: Duration
    var retries: Int
    var backoff: Backoff
    var onTimeout: OnTimeout

    init(step: StepSpec, workflow: Workflow) {
        let defaults = workflow.defaults
        providerName = step.provider?.value ?? defaults.provider ?? Self.fallbackProvider(of: workflow)
        model = step.model ?? defaults.model
        system = step.system ?? defaults.system
        temperature = step.temperature ?? defaults.temperature ?? Self.builtInTemperature
        maxTokens = step.maxTokens ?? defaults.maxTokens ?? Self.builtInMaxTokens
        timeout = step.timeout ?? defaults.timeout ?? Self.builtInTimeout
        retries = max(0, step.retries ?? defaults.retries ?? Self.builtInRetries)
        backoff = step.backoff ?? defaults.backoff ?? Backoff()
        onTimeout = step.onTimeout ?? defaults.onTimeout ?? .retry
    }

    /// With one declared provider it is the default; with none, the built-in mock.
    static func fallbackProvider(of workflow: Workflow) -> String {
        workflow.providers.count == 1 ? workflow.providers[0].name : ProviderSpec.implicitMockName
    }
}
