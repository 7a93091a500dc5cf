import PFlowEngine
import PFlowSpec

/// The live display's progress per parallel block and map: which block each step counts
/// in, how many of its steps have finished and how, and when it started, for a bar and an
/// ETA. A step counts in its nearest enclosing parallel or map (a lane's steps in the
/// parallel around the lane); a map's width is known once it expands.
struct BlockProgress {
    struct Block {
        let id: String
        var total = 0
        var succeeded = 0
        /// Failed or timed out.
        var failed = 0
        /// Skipped or cancelled.
        var dropped = 0
        var firstStart: Duration?

        var finished: Int { succeeded + failed + dropped }
        var isRunning: Bool { firstStart != nil && finished < total }

        /// From the rate observed since its first step started; nil before anything finished.
        func remaining(at now: Duration) -> Duration? {
            guard let firstStart, finished > 0, finished < total else { return nil }
            let perStep = (now - firstStart) / finished
            return perStep * (total - finished)
        }
    }

    private(set) var blocks: [Block] = []
    private var positions: [String: Int] = [:]
    /// Step id → the position of the block it counts in.
    private var owners: [String: Int] = [:]

    init(workflow: Workflow) {
        visit(workflow.steps, in: nil)
    }

    private mutating func visit(_ nodes: [StepNode], in block: Int?) {
        for node in nodes {
            switch node {
            case .step, .reduce:
                if let block { own([node.id], by: block) }
            case .sequence(let lane):
                visit(lane.steps, in: block)
            case .parallel(let parallel):
                let position = add(parallel.id)
                switch parallel.branches {
                case .steps(let children): visit(children, in: position)
                case .repeat(let count, _): own((0..<count).map { "\(parallel.id).\($0)" }, by: position)
                }
            case .map(let map):
                _ = add(map.id)
            }
        }
    }

    private mutating func add(_ id: String) -> Int {
        positions[id] = blocks.count
        blocks.append(Block(id: id))
        return blocks.count - 1
    }

    private mutating func own(_ steps: [String], by block: Int) {
        for step in steps { owners[step] = block }
        blocks[block].total += steps.count
    }

    mutating func expand(_ map: String, branches: [String]) {
        guard let position = positions[map] else { return }
        own(branches, by: position)
    }

    func block(of step: String) -> String? {
        owners[step].map { blocks[$0].id }
    }

    mutating func started(_ step: String, at time: Duration) {
        guard let position = owners[step], blocks[position].firstStart == nil else { return }
        blocks[position].firstStart = time
    }

    mutating func finished(_ step: String, status: NodeStatus?) {
        guard let position = owners[step] else { return }
        switch status {
        case .succeeded: blocks[position].succeeded += 1
        case .failed, .timedOut: blocks[position].failed += 1
        default: blocks[position].dropped += 1
        }
    }
}
