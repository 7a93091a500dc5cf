/// What a run of a workflow would do, worked out without sending anything: which steps can
/// start together, how long the longest chain is, how many requests it costs and how many
/// can be in flight at once under the limits.
///
/// `pflow plan` prints it; it is Codable so `--format json` is the same data for machines.
/// Map widths are only known once their source is read, so every count may carry the
/// maps it could not include.
public struct Plan: Sendable, Codable {
    /// A number that may leave out maps whose width is decided at run time.
    public struct Count: Sendable, Codable, Hashable, CustomStringConvertible {
        /// The part known now.
        public var known: Int
        /// Ids of the maps of unknown width that add to it.
        public var dynamicMaps: [String]

        public init(known: Int, dynamicMaps: [String] = []) {
            self.known = known
            self.dynamicMaps = dynamicMaps
        }

        public var isExact: Bool { dynamicMaps.isEmpty }

        public var description: String {
            if dynamicMaps.isEmpty { return "\(known)" }
            return known == 0 ? "dynamic" : "\(known) + dynamic"
        }

        static func + (lhs: Count, rhs: Count) -> Count {
            Count(
                known: lhs.known + rhs.known,
                dynamicMaps: lhs.dynamicMaps
                    + rhs.dynamicMaps.filter {
                        !lhs.dynamicMaps.contains($0)
                    })
        }

        static func * (lhs: Count, factor: Int) -> Count {
            Count(known: lhs.known * factor, dynamicMaps: lhs.dynamicMaps)
        }
    }

    /// Where a step's time estimate comes from.
    public enum EstimateBasis: String, Sendable, Codable {
        /// The mock provider's latency plus half its jitter: what a run will take.
        case mockLatency = "mock-latency"
        /// The step's timeout: it cannot take longer per attempt, but may be much faster.
        case timeout
        /// A real provider and no timeout: nothing to go on.
        case unknown
        /// A `reduce`: counted in-process, no request, no time to speak of.
        case inProcess = "in-process"
    }

    /// One leaf of a level: a step, a repeat branch, or a map with its width.
    public struct Entry: Sendable, Codable, Hashable {
        public enum Kind: String, Sendable, Codable {
            case step
            case repeatBranch = "repeat"
            case map
            /// Sends nothing: its width is 0 requests.
            case reduce
        }

        public var id: String
        public var kind: Kind
        /// The enclosing block, if any.
        public var block: String?
        /// nil for a `reduce`, which asks no model.
        public var provider: String?
        /// Requests: 1, the number of items of a map, or 0 for a `reduce`.
        public var width: Count
        /// Attempts each request may take: 1 + retries.
        public var attempts: Int
        /// Seconds per request, nil when unknown.
        public var estimateSeconds: Double?
        public var estimateBasis: EstimateBasis
    }

    /// Steps that can start together: the ones whose longest chain of prerequisites has the
    /// same length.
    public struct Level: Sendable, Codable, Hashable {
        /// 1-based.
        public var index: Int
        public var steps: [Entry]
        /// Requests the level holds: the sum of its entries' widths.
        public var width: Count
        /// How many of them can be in flight at once under the limits; nil when a map of
        /// unknown width with no limit on it makes it unbounded.
        public var parallelism: Int?
    }

    /// The longest chain of steps, each waiting for the one before.
    public struct Path: Sendable, Codable, Hashable {
        public var steps: [String]
        /// Requests one after another along it; a map limited by `max_concurrency` counts
        /// once per wave.
        public var requests: Int
        /// The sum of the estimates along it, unknown ones left out; nil when none is known.
        public var seconds: Double?
        /// Steps whose estimate is their timeout: the time is an upper bound for them.
        public var boundedByTimeout: [String]
        /// Steps with no estimate at all.
        public var unknown: [String]
    }

    public struct Requests: Sendable, Codable, Hashable {
        /// One attempt per request.
        public var expected: Count
        /// Every retry used.
        public var worstCase: Count
    }

    public struct ProviderLimit: Sendable, Codable, Hashable {
        public var name: String
        public var kind: String
        public var maxConcurrency: Int?
        public var requestsPerMinute: Int?
        public var tokensPerMinute: Int? = nil
    }

    public struct BlockLimit: Sendable, Codable, Hashable {
        public var id: String
        public var minSuccess: String
        public var stragglers: String
        public var maxConcurrency: Int?
        public var timeoutSeconds: Double?
    }

    public struct Limits: Sendable, Codable, Hashable {
        public var maxConcurrency: Int?
        public var timeoutSeconds: Double?
        /// The providers steps use, in declaration order.
        public var providers: [ProviderLimit]
        /// Blocks and maps that declare a policy or a limit.
        public var blocks: [BlockLimit]
    }

    public var name: String
    public var file: String
    public var levels: [Level]
    /// The longest chain by estimated time: what bounds the wall time of a run. The same
    /// as `criticalPathByRequests` when no step has an estimate.
    public var criticalPathByTime: Path
    /// The longest chain by number of requests one after another.
    public var criticalPathByRequests: Path
    public var requests: Requests
    public var limits: Limits
    /// The most requests in flight at once: the widest level under the limits; nil when
    /// unbounded.
    public var peakParallelism: Int?
    /// Tokens, dollars and rate-limit time (`CostModel.make`); nil until the caller adds it.
    public var cost: CostModel? = nil
}
