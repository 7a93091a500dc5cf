import Foundation
import PFlowSpec

/// What to run and how: the command line's choices, already parsed.
public struct RunRequest: Sendable {
    /// Only the compiler makes one: the engine runs nothing that was not validated.
    public var compiled: CompiledWorkflow
    public var workflow: Workflow { compiled.workflow }
    /// `--input k=v`.
    public var inputs: [String: String]
    /// `--input-file k=PATH`.
    public var inputFiles: [String: String]
    /// `--out`: the folder holding `<name>/<run id>/`.
    public var outputRoot: String
    /// `--max-concurrency`, over the workflow's `max_concurrency`.
    public var maxConcurrency: Int?
    /// `--max-cost`: dollars. A new run takes the lower of this and the workflow's
    /// `budget.max_cost`; a resumed one takes this over the file's, so a stopped run can
    /// go on with a higher cap.
    public var maxCost: Double?
    /// `--mock`: every provider becomes the offline mock, keeping its limits.
    public var mockProviders: Bool
    public var environment: [String: String]
    public var workingDirectory: String
    /// Stand-ins for named providers (embedding pflow, tests); their limits still apply.
    public var providerOverrides: [String: any LLMProvider]
    /// Requests over the network stay below this (the open-file limit, less a margin).
    public var networkConcurrencyCeiling: Int?
    /// The bytes the workflow was compiled from, for run.json's sha256; read from
    /// `workflow.file` when nil.
    public var source: [UInt8]?
    /// `--allow-outside`: map files may resolve outside the workflow's folder. The same
    /// choice the workflow was compiled with, applied again when maps expand.
    public var allowOutside: Bool

    public init(
        workflow: CompiledWorkflow, inputs: [String: String] = [:], inputFiles: [String: String] = [:],
        outputRoot: String = "runs", maxConcurrency: Int? = nil, maxCost: Double? = nil, mockProviders: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath,
        providerOverrides: [String: any LLMProvider] = [:], networkConcurrencyCeiling: Int? = nil,
        source: [UInt8]? = nil, allowOutside: Bool = false
    ) {
        self.compiled = workflow
        self.inputs = inputs
        self.inputFiles = inputFiles
        self.outputRoot = outputRoot
        self.maxConcurrency = maxConcurrency
        self.maxCost = maxCost
        self.mockProviders = mockProviders
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.providerOverrides = providerOverrides
        self.networkConcurrencyCeiling = networkConcurrencyCeiling
        self.source = source
        self.allowOutside = allowOutside
    }
}
