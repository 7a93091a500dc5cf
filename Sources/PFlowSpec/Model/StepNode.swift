/// The kinds of block a step list can hold, as the file spells them.
public enum BlockKind: String, Sendable, Hashable, Codable, CaseIterable {
    case parallel
    case sequence
    case map
}

/// One item of a step list: a single request, or a block of them.
public indirect enum StepNode: Sendable {
    case step(StepSpec)
    case parallel(ParallelSpec)
    case sequence(SequenceSpec)
    case map(MapSpec)
    case reduce(ReduceSpec)

    /// The id given in the file; every node has one after validation.
    public var id: String {
        switch self {
        case .step(let s): s.id
        case .parallel(let p): p.id
        case .sequence(let s): s.id
        case .map(let m): m.id
        case .reduce(let r): r.id
        }
    }

    public var location: SourceLocation {
        switch self {
        case .step(let s): s.location
        case .parallel(let p): p.location
        case .sequence(let s): s.location
        case .map(let m): m.location
        case .reduce(let r): r.location
        }
    }

    /// Extra edges declared with `needs:`.
    public var needs: [Located<String>] {
        switch self {
        case .step(let s): s.needs
        case .parallel(let p): p.needs
        case .sequence(let s): s.needs
        case .map(let m): m.needs
        // A reducer waits for the block it reads, wherever it is declared.
        case .reduce(let r): r.needs + [r.over]
        }
    }

    /// The nodes declared inside this one: a lane's items, a parallel block's children.
    /// Repeat and map branches are not declared nodes; `requestStep` is what they send.
    public var children: [StepNode] {
        switch self {
        case .step, .map, .reduce: []
        case .sequence(let lane): lane.steps
        case .parallel(let block):
            switch block.branches {
            case .steps(let children): children
            case .repeat: []
            }
        }
    }

    /// The step this node itself sends: a step's own, or the one every branch of a repeat
    /// or map sends. Nil for lanes and for parallel blocks of declared children.
    public var requestStep: StepSpec? {
        switch self {
        case .step(let step): step
        case .map(let map): map.step
        case .sequence, .reduce: nil
        case .parallel(let block):
            switch block.branches {
            case .steps: nil
            case .repeat(_, let step): step
            }
        }
    }
}

extension [StepNode] {
    /// Visits every node, depth first in declaration order, a node before what it holds.
    /// `visit` gets the value its parent's visit returned (`context` at the top) and
    /// returns the one its own children get: the enclosing block, whether an ancestor is
    /// kept or failed. The one walk over a tree; nesting is capped by the YAML layer, so
    /// the recursion is bounded.
    public func walk<Context, Failure: Error>(
        from context: Context, _ visit: (StepNode, Context) throws(Failure) -> Context
    ) throws(Failure) {
        for node in self {
            let inner = try visit(node, context)
            try node.children.walk(from: inner, visit)
        }
    }

    /// Visits every node, depth first in declaration order, a node before what it holds.
    public func walk<Failure: Error>(_ visit: (StepNode) throws(Failure) -> Void) throws(Failure) {
        try walk(from: ()) { (node, _) throws(Failure) in try visit(node) }
    }
}

/// One request to a model.
public struct StepSpec: Sendable {
    /// Inside `repeat` and `map` the step has no id of its own: branches are named
    /// `<block>.<index>`. Decoding gives it the block's id there.
    public var id: String
    public var prompt: Template
    public var system: Template?
    public var provider: Located<String>?
    public var model: String?
    public var temperature: Double?
    public var maxTokens: Int?
    public var timeout: Duration?
    public var retries: Int?
    public var backoff: Backoff?
    public var onTimeout: OnTimeout?
    public var reasoningEffort: ReasoningEffort?
    /// Anthropic's extended thinking: `budget_tokens`.
    public var thinkingBudget: Int?
    public var onTruncated: OnTruncated?
    /// What the answer must be; `.json` answers are parsed and checked by pflow itself.
    public var format: OutputFormat
    /// Checked against each answer of a `.json` step; also what typed references are checked against.
    public var schema: JSONSchema?
    /// Extra attempts that show the model its invalid answer and what was wrong with it.
    public var repair: Int?
    public var needs: [Located<String>]
    public var location: SourceLocation

    public init(
        id: String, prompt: Template, system: Template? = nil, provider: Located<String>? = nil,
        model: String? = nil, temperature: Double? = nil, maxTokens: Int? = nil, timeout: Duration? = nil,
        retries: Int? = nil, backoff: Backoff? = nil, onTimeout: OnTimeout? = nil,
        reasoningEffort: ReasoningEffort? = nil, thinkingBudget: Int? = nil, onTruncated: OnTruncated? = nil,
        format: OutputFormat = .text, schema: JSONSchema? = nil, repair: Int? = nil,
        needs: [Located<String>] = [], location: SourceLocation
    ) {
        self.format = format
        self.schema = schema
        self.repair = repair
        self.reasoningEffort = reasoningEffort
        self.thinkingBudget = thinkingBudget
        self.onTruncated = onTruncated
        self.id = id
        self.prompt = prompt
        self.system = system
        self.provider = provider
        self.model = model
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.onTimeout = onTimeout
        self.needs = needs
        self.location = location
    }
}

/// How many branches of a block must succeed for the block to succeed.
public enum SuccessPolicy: Sendable, Hashable, CustomStringConvertible {
    case all
    case count(Int)
    /// 0...100; rounded up: 90% of 5 branches is 5.
    case percent(Double)

    /// The number of successes needed out of `total` branches.
    public func required(of total: Int) -> Int {
        switch self {
        case .all: return total
        case .count(let n): return Swift.min(n, total)
        case .percent(let p):
            let needed = (Double(total) * p / 100).rounded(.up)
            return Swift.min(total, Swift.max(0, Int(needed)))
        }
    }

    public var description: String {
        switch self {
        case .all: "all"
        case .count(let n): "\(n)"
        case .percent(let p): p == p.rounded() ? "\(Int(p))%" : "\(p)%"
        }
    }
}

/// What happens to the branches still running once `min_success` is met.
public enum Stragglers: String, Sendable, Hashable, CaseIterable {
    case wait
    case cancel
}

/// The policy shared by `parallel` and `map` blocks.
public struct BlockPolicy: Sendable, Hashable {
    public var minSuccess: SuccessPolicy
    public var minSuccessLocation: SourceLocation?
    public var stragglers: Stragglers
    /// Deadline for the whole block; unfinished branches end as timed out.
    public var timeout: Duration?
    /// At most this many of the block's branches in flight.
    public var maxConcurrency: Int?
    /// The block's own spending cap, inside the run's.
    public var budget: Budget? = nil

    public init(
        minSuccess: SuccessPolicy = .all, minSuccessLocation: SourceLocation? = nil,
        stragglers: Stragglers = .wait, timeout: Duration? = nil, maxConcurrency: Int? = nil
    ) {
        self.minSuccess = minSuccess
        self.minSuccessLocation = minSuccessLocation
        self.stragglers = stragglers
        self.timeout = timeout
        self.maxConcurrency = maxConcurrency
    }
}

/// Children that are independent and start together.
public struct ParallelSpec: Sendable {
    public enum Branches: Sendable {
        /// Declared children.
        case steps([StepNode])
        /// The same step `count` times (sampling for a vote); branches are `<id>.<n>`.
        case `repeat`(count: Int, step: StepSpec)
    }

    public var id: String
    public var branches: Branches
    public var policy: BlockPolicy
    public var needs: [Located<String>]
    public var location: SourceLocation

    public init(
        id: String, branches: Branches, policy: BlockPolicy = BlockPolicy(), needs: [Located<String>] = [],
        location: SourceLocation
    ) {
        self.id = id
        self.branches = branches
        self.policy = policy
        self.needs = needs
        self.location = location
    }

    /// Number of branches known before the run.
    public var width: Int {
        switch branches {
        case .steps(let s): s.count
        case .repeat(let count, _): count
        }
    }
}

/// An ordered lane: each step waits for the one before.
public struct SequenceSpec: Sendable {
    public var id: String
    public var steps: [StepNode]
    public var needs: [Located<String>]
    public var location: SourceLocation

    public init(id: String, steps: [StepNode], needs: [Located<String>] = [], location: SourceLocation) {
        self.id = id
        self.steps = steps
        self.needs = needs
        self.location = location
    }
}

/// Fan-out over a list known at run time: one branch per item, named `<id>.<index>`.
public struct MapSpec: Sendable {
    public enum Source: Sendable, Hashable {
        /// Files matching a pattern relative to the workflow's folder, sorted by path.
        case glob(String)
        /// Literal items.
        case items([String])
        /// One item per non-empty line of a file relative to the workflow's folder.
        case lines(String)
        /// One item per non-empty line of an input's value.
        case input(String)
    }

    public var id: String
    public var source: Located<Source>
    /// The name items are referred to by in the step: `{{ AS.name }}`.
    public var itemName: String
    public var step: StepSpec
    public var policy: BlockPolicy
    public var needs: [Located<String>]
    public var location: SourceLocation

    public init(
        id: String, source: Located<Source>, itemName: String = "item", step: StepSpec,
        policy: BlockPolicy = BlockPolicy(), needs: [Located<String>] = [], location: SourceLocation
    ) {
        self.id = id
        self.source = source
        self.itemName = itemName
        self.step = step
        self.policy = policy
        self.needs = needs
        self.location = location
    }
}
