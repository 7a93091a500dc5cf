/// The workflow as a dependency graph: which requests exist and what each waits for.
///
/// Nodes are the leaf requests (a step, one node per `repeat` branch, one node per `map`
/// standing for its run-time branches) plus a node per block that gives the structure.
/// Edges are what the file declares: list order (an item waits for the one before to
/// settle) and `needs:`. A block's children inherit what the block waits for, and a block
/// settles once its children have, so both are implied rather than stored as edges.
/// Internally each node is a pair of vertices, start and settle, which turns all of this
/// into one plain DAG for cycle detection, reachability and longest paths.
public struct WorkflowGraph: Sendable {
    /// A step, a repeat branch, a map, or a block that groups them.
    public struct Node: Sendable, Identifiable {
        public enum Kind: Sendable, Hashable {
            case step
            /// One branch of `parallel` with `repeat: N`; its id is `<block>.<index>`.
            case repeatBranch(index: Int)
            /// A `map`: a single node standing for the branches it expands to at run time.
            case map
            case parallel
            case sequence
            /// A `reduce` step: runs in-process, sends nothing.
            case reduce
        }

        public var id: String
        public var kind: Kind
        /// The id of the enclosing block, nil at the top level.
        public var parent: String?
        /// The ids of the direct children, in declaration order; empty for leaves.
        public var children: [String]
        public var location: SourceLocation
        /// The request a leaf sends (a map's is the per-item step); nil for blocks.
        public var step: StepSpec?
        /// The policy of a `parallel` (repeat included) or `map` block.
        public var policy: BlockPolicy?
        /// What a map fans out over; nil for every other kind.
        public var mapSource: Located<MapSpec.Source>?

        /// Whether the node sends requests itself rather than grouping other nodes.
        public var isLeaf: Bool {
            switch kind {
            case .step, .repeatBranch, .map, .reduce: true
            case .parallel, .sequence: false
            }
        }
    }

    /// A declared dependency: `to` (and everything inside it) waits for `from` to settle.
    public struct Edge: Sendable, Hashable {
        public enum Reason: Sendable, Hashable {
            /// Consecutive items of the top-level list or of a `sequence` lane.
            case order
            /// An entry of `needs:`.
            case needs
        }

        public var from: String
        public var to: String
        public var reason: Reason
        /// The later list item for `order`, the `needs` entry for `needs`.
        public var location: SourceLocation
    }

    /// Every node in declaration order (a block before its children).
    public internal(set) var nodes: [Node]
    /// The declared edges, order first and then needs, each in declaration order.
    public internal(set) var edges: [Edge]
    /// Ids of the top-level items, in order.
    public internal(set) var roots: [String]

    let indexByID: [String: Int]
    let vertices: VertexGraph
    /// A topological order of `vertices`; empty only while cycles are being reported.
    let vertexOrder: [Int]

    /// The node with this id, if any.
    public func node(_ id: String) -> Node? {
        indexByID[id].map { nodes[$0] }
    }

    /// The leaf nodes in declaration order: what the engine schedules.
    public var leaves: [Node] { nodes.filter(\.isLeaf) }

    /// The nodes whose settlement `id` waits for directly: its own declared edges and those
    /// of every block around it. A scheduler may start `id` once all of these settled.
    public func waitsFor(_ id: String) -> [String] {
        var result: [String] = []
        var current: String? = id
        while let nodeID = current, let node = node(nodeID) {
            for edge in edges where edge.to == nodeID && !result.contains(edge.from) {
                result.append(edge.from)
            }
            current = node.parent
        }
        return result
    }

    /// Whether `earlier` is guaranteed to have settled before `later` starts.
    public func settles(_ earlier: String, before later: String) -> Bool {
        guard let e = indexByID[earlier], let l = indexByID[later] else { return false }
        return vertices.reaches(from: VertexGraph.settle(e), to: VertexGraph.start(l))
    }

    /// Whether `ancestor` is a block that contains `id`, at any depth.
    public func isAncestor(_ ancestor: String, of id: String) -> Bool {
        Self.isAncestor(ancestor, of: id, nodes: nodes, indexByID: indexByID)
    }

    static func isAncestor(_ ancestor: String, of id: String, nodes: [Node], indexByID: [String: Int]) -> Bool {
        var current = indexByID[id].flatMap { nodes[$0].parent }
        while let parent = current {
            if parent == ancestor { return true }
            current = indexByID[parent].flatMap { nodes[$0].parent }
        }
        return false
    }
}
