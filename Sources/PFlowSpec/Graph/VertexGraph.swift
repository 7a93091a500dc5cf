/// The graph the algorithms run on: two vertices per node, its start and its settlement.
///
/// Splitting a node in two turns "children wait for what their block waits for" and "a
/// block settles after its children" into ordinary arcs, so reachability, cycles and
/// longest paths need no special cases for blocks.
struct VertexGraph: Sendable {
    /// Why an arc exists; cycle messages explain each link from it.
    enum Link: Sendable, Hashable {
        /// A node settles after it starts (a leaf's request, a block's span).
        case span
        /// A child starts only once its block may start.
        case enter
        /// A block settles only once this child has.
        case settleChild
        /// `WorkflowGraph.edges[index]`.
        case declared(Int)
    }

    struct Arc: Sendable, Hashable {
        var target: Int
        var link: Link
    }

    private(set) var outgoing: [[Arc]]

    init(nodeCount: Int) {
        outgoing = Array(repeating: [], count: nodeCount * 2)
    }

    static func start(_ node: Int) -> Int { node * 2 }
    static func settle(_ node: Int) -> Int { node * 2 + 1 }
    static func node(of vertex: Int) -> Int { vertex / 2 }
    static func isStart(_ vertex: Int) -> Bool { vertex % 2 == 0 }

    var count: Int { outgoing.count }

    mutating func add(from: Int, to: Int, _ link: Link) {
        outgoing[from].append(Arc(target: to, link: link))
    }

    func reaches(from source: Int, to target: Int) -> Bool {
        if source == target { return true }
        var seen = Array(repeating: false, count: count)
        var stack = [source]
        seen[source] = true
        while let vertex = stack.popLast() {
            for arc in outgoing[vertex] where !seen[arc.target] {
                if arc.target == target { return true }
                seen[arc.target] = true
                stack.append(arc.target)
            }
        }
        return false
    }

    /// Kahn's order, or nil when there is a cycle.
    func topologicalOrder() -> [Int]? {
        var indegree = Array(repeating: 0, count: count)
        for arcs in outgoing { for arc in arcs { indegree[arc.target] += 1 } }
        var ready = (0..<count).filter { indegree[$0] == 0 }.reversed() as [Int]
        var order: [Int] = []
        order.reserveCapacity(count)
        while let vertex = ready.popLast() {
            order.append(vertex)
            for arc in outgoing[vertex] {
                indegree[arc.target] -= 1
                if indegree[arc.target] == 0 { ready.append(arc.target) }
            }
        }
        return order.count == count ? order : nil
    }

    /// Strongly connected components with more than one vertex: where the cycles are.
    /// Iterative Tarjan, so a deep workflow cannot overflow the stack.
    func cyclicComponents() -> [[Int]] {
        var index = Array(repeating: -1, count: count)
        var lowLink = Array(repeating: 0, count: count)
        var onStack = Array(repeating: false, count: count)
        var stack: [Int] = []
        var nextIndex = 0
        var components: [[Int]] = []

        for root in 0..<count where index[root] < 0 {
            var work: [(vertex: Int, arc: Int)] = [(root, 0)]
            index[root] = nextIndex
            lowLink[root] = nextIndex
            nextIndex += 1
            stack.append(root)
            onStack[root] = true
            while let (vertex, arcIndex) = work.last {
                if arcIndex < outgoing[vertex].count {
                    work[work.count - 1].arc += 1
                    let target = outgoing[vertex][arcIndex].target
                    if index[target] < 0 {
                        index[target] = nextIndex
                        lowLink[target] = nextIndex
                        nextIndex += 1
                        stack.append(target)
                        onStack[target] = true
                        work.append((target, 0))
                    } else if onStack[target] {
                        lowLink[vertex] = min(lowLink[vertex], index[target])
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last?.vertex {
                    lowLink[parent] = min(lowLink[parent], lowLink[vertex])
                }
                if lowLink[vertex] == index[vertex] {
                    var component: [Int] = []
                    while let member = stack.popLast() {
                        onStack[member] = false
                        component.append(member)
                        if member == vertex { break }
                    }
                    if component.count > 1 { components.append(component.sorted()) }
                }
            }
        }
        return components
    }

    /// The shortest path of arcs from `source` to `target` through `allowed` vertices.
    func shortestPath(from source: Int, to target: Int, within allowed: Set<Int>) -> [Arc]? {
        var previous: [Int: (vertex: Int, arc: Arc)] = [:]
        var queue = [source]
        var head = 0
        var seen: Set<Int> = [source]
        while head < queue.count {
            let vertex = queue[head]
            head += 1
            if vertex == target { break }
            for arc in outgoing[vertex] where allowed.contains(arc.target) && !seen.contains(arc.target) {
                seen.insert(arc.target)
                previous[arc.target] = (vertex, arc)
                queue.append(arc.target)
            }
        }
        guard seen.contains(target) else { return nil }
        var arcs: [Arc] = []
        var vertex = target
        while vertex != source, let step = previous[vertex] {
            arcs.append(step.arc)
            vertex = step.vertex
        }
        return arcs.reversed()
    }

    /// Longest distances from any source, where only `span` arcs of leaves weigh something.
    /// `order` must be a topological order of this graph.
    func longestPaths<Weight: AdditiveArithmetic & Comparable>(
        order: [Int], spanWeight: (Int) -> Weight
    ) -> LongestPaths<Weight> {
        var distance = Array(repeating: Weight.zero, count: count)
        var previous: [Int?] = Array(repeating: nil, count: count)
        for vertex in order {
            for arc in outgoing[vertex] {
                let weight = arc.link == .span ? spanWeight(Self.node(of: vertex)) : .zero
                let candidate = distance[vertex] + weight
                // Among equally long paths, the one through the earliest declared node wins,
                // so the path shown does not depend on traversal order.
                let isTie = candidate == distance[arc.target] && previous[arc.target].map { vertex < $0 } ?? true
                if candidate > distance[arc.target] || isTie {
                    distance[arc.target] = candidate
                    previous[arc.target] = vertex
                }
            }
        }
        return LongestPaths(distance: distance, previous: previous)
    }
}

/// The result of `VertexGraph.longestPaths`: distances and the way back along each path.
struct LongestPaths<Weight: AdditiveArithmetic & Comparable> {
    var distance: [Weight]
    var previous: [Int?]

    /// The nodes whose span lies on the longest path ending at `vertex`, first to last.
    func spans(endingAt vertex: Int) -> [Int] {
        var nodes: [Int] = []
        var current = vertex
        while let before = previous[current] {
            if VertexGraph.isStart(before) && before + 1 == current {
                nodes.append(VertexGraph.node(of: before))
            }
            current = before
        }
        return nodes.reversed()
    }
}
