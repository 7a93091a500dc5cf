/// One step on the longest chain of actual step durations that ends at some node.
///
/// Links share their tails, so every step records its chain in O(1) and the run's
/// critical path is the longest chain at the end.
final class ChainLink: Sendable {
    let stepID: String
    let duration: Duration
    let total: Duration
    let previous: ChainLink?

    init(stepID: String, duration: Duration, after previous: ChainLink?) {
        self.stepID = stepID
        self.duration = duration
        self.previous = previous
        total = (previous?.total ?? .zero) + duration
    }

    /// The step ids from the first to this one.
    var stepIDs: [String] {
        var ids: [String] = []
        var link: ChainLink? = self
        while let current = link {
            ids.append(current.stepID)
            link = current.previous
        }
        return ids.reversed()
    }

    static func longest(_ links: some Sequence<ChainLink?>) -> ChainLink? {
        var best: ChainLink?
        for case let link? in links where link.total > (best?.total ?? .zero) || best == nil {
            best = link
        }
        return best
    }
}
