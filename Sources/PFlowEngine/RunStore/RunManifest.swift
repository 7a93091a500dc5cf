import PFlowSpec

/// How a run as a whole ended, or that it is still going.
public enum RunStatus: String, Sendable, Hashable, Codable {
    case running
    case succeeded
    case failed
    case interrupted
}

/// run.json: the manifest of one run, rewritten atomically as the run progresses.
///
/// Readable at every moment, including after a crash or SIGKILL: the status then says
/// `running` with the last state written, which is what `pflow resume` starts from.
public struct RunManifest: Sendable, Codable {
    public struct WorkflowInfo: Sendable, Codable {
        public var name: String
        public var path: String
        public var sha256: String
    }

    public struct StepEntry: Sendable, Codable {
        public var id: String
        /// The block a repeat or map branch belongs to.
        public var block: String?
        public var status: NodeStatus
        public var provider: String?
        public var model: String?
        public var attempts: Int
        public var inputTokens: Int
        public var outputTokens: Int
        public var costUSD: Double
        public var startedAt: String?
        public var endedAt: String?
        public var durationSeconds: Double?
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case id, block, status, provider, model, attempts, error
            case inputTokens = "input_tokens"
            case outputTokens = "output_tokens"
            case costUSD = "cost_usd"
            case startedAt = "started_at"
            case endedAt = "ended_at"
            case durationSeconds = "duration_seconds"
        }
    }

    public struct BlockEntry: Sendable, Codable {
        public var id: String
        public var kind: BlockKind
        public var status: NodeStatus
        public var branches: Int
        public var succeeded: Int
        /// How many must succeed (min_success resolved against the branch count).
        public var required: Int
        public var error: String?
    }

    public struct Totals: Sendable, Codable {
        public var steps: Int
        public var statuses: [String: Int]
        public var requests: Int
        public var inputTokens: Int
        public var outputTokens: Int
        public var costUSD: Double

        enum CodingKeys: String, CodingKey {
            case steps, statuses, requests
            case inputTokens = "input_tokens"
            case outputTokens = "output_tokens"
            case costUSD = "cost_usd"
        }
    }

    /// One `pflow resume` of this run.
    public struct Resume: Sendable, Codable {
        public var startedAt: String
        /// `--only-failed`: only failed and timed-out steps (and what they skipped) ran again.
        public var onlyFailed: Bool
        /// `--force`: the workflow file had changed since the previous session.
        public var forced: Bool

        enum CodingKeys: String, CodingKey {
            case forced
            case startedAt = "started_at"
            case onlyFailed = "only_failed"
        }
    }

    /// The run's budget: its caps, and what is reserved by attempts in flight and spent.
    public struct BudgetState: Sendable, Codable, Hashable {
        public var maxCost: Double?
        public var maxTokens: Int?
        public var reservedCost: Double
        public var reservedTokens: Int
        /// What the servers reported.
        public var spentCost: Double
        public var spentTokens: Int
        /// Attempts sent but never answered (timed out, cancelled), charged their worst case:
        /// the server may bill them, and the cap counts them. Nil in runs written before it.
        public var unsettled: SpendFigure?
        /// Attempts not sent because they did not fit in a budget (the run's or a block's).
        public var refusedAttempts: Int
        /// A budget stopped work: some attempt was refused.
        public var exceeded: Bool
        /// Each block budget's spend, by block id, which `pflow resume` carries on.
        public var blocks: [String: BlockBudget]?

        enum CodingKeys: String, CodingKey {
            case exceeded, unsettled, blocks
            case maxCost = "max_cost"
            case maxTokens = "max_tokens"
            case reservedCost = "reserved_cost"
            case reservedTokens = "reserved_tokens"
            case spentCost = "spent_cost"
            case spentTokens = "spent_tokens"
            case refusedAttempts = "refused_attempts"
        }
    }

    /// Dollars and tokens, as run.json writes a part of a budget's spend.
    public struct SpendFigure: Sendable, Codable, Hashable {
        public var cost: Double
        public var tokens: Int
    }

    /// A `parallel` or `map` block's budget: its caps and what the run spent in it.
    public struct BlockBudget: Sendable, Codable, Hashable {
        public var maxCost: Double?
        public var maxTokens: Int?
        public var spentCost: Double
        public var spentTokens: Int
        public var unsettled: SpendFigure?

        enum CodingKeys: String, CodingKey {
            case unsettled
            case maxCost = "max_cost"
            case maxTokens = "max_tokens"
            case spentCost = "spent_cost"
            case spentTokens = "spent_tokens"
        }
    }

    public struct CriticalPath: Sendable, Codable {
        /// The longest chain of actual step durations, each step after what it waited for.
        public var seconds: Double
        public var steps: [String]
    }

    public var format: Int = 1
    public var run: String
    public var workflow: WorkflowInfo
    /// Values as given; a file input's path, never its content.
    public var inputs: [String: String]
    public var status: RunStatus
    public var error: String?
    public var startedAt: String
    public var endedAt: String?
    public var durationSeconds: Double?
    /// Every provider was swapped for the mock (`--mock`).
    public var mock: Bool
    public var maxConcurrency: Int?
    /// The `max_concurrency` of each provider the run uses that has one, by name: what the
    /// report's in-flight chart draws each provider against.
    public var providerMaxConcurrency: [String: Int]?
    public var steps: [StepEntry]
    public var blocks: [BlockEntry]
    public var totals: Totals
    public var criticalPath: CriticalPath?
    /// result.md, relative to the run directory, once written.
    public var result: String?
    /// Inputs whose value was read from a file: `inputs` holds their absolute path, which
    /// `pflow resume` reads again.
    public var inputFiles: [String]?
    /// Every `pflow resume` of this run, oldest first.
    public var resumes: [Resume]?
    /// Present when the workflow declares a budget or the run was given `--max-cost`.
    public var budget: BudgetState?

    enum CodingKeys: String, CodingKey {
        case format, run, workflow, inputs, status, error, mock, steps, blocks, totals, result, resumes, budget
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case durationSeconds = "duration_seconds"
        case maxConcurrency = "max_concurrency"
        case providerMaxConcurrency = "provider_max_concurrency"
        case criticalPath = "critical_path"
        case inputFiles = "input_files"
    }
}
