import Foundation

/// Runs actions at their deadlines from one thread: the timer behind every attempt's
/// deadline.
///
/// Why not a dispatch timer or a sleeping task per attempt: on Linux each costs about
/// 40 µs of CPU to arm and cancel, a quarter of a 10,000-step run on the 0 ms mock. Here
/// arming is a heap insertion under a lock, and cancelling a dictionary removal; the heap
/// entries of cancelled timers are dropped when they come up, or all at once when they
/// outnumber the live ones.
final class TimerQueue: @unchecked Sendable {
    static let shared = TimerQueue()

    private struct Entry: Comparable {
        var deadline: ContinuousClock.Instant
        var id: UInt64
        static func < (a: Entry, b: Entry) -> Bool { (a.deadline, a.id) < (b.deadline, b.id) }
    }

    /// Guards every stored property below, and wakes the thread for an earlier deadline.
    private let condition = NSCondition()
    private var heap = Heap<Entry>()
    private var actions: [UInt64: (deadline: ContinuousClock.Instant, action: @Sendable () -> Void)] = [:]
    private var nextID: UInt64 = 0
    private var threadStarted = false

    /// Runs `action` on the timer thread once `delay` has passed, unless cancelled first.
    /// Keep it short: it delays every later timer.
    func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) -> ScheduledAction {
        let deadline = ContinuousClock.now + delay
        condition.lock()
        let id = nextID
        nextID += 1
        actions[id] = (deadline, action)
        heap.insert(Entry(deadline: deadline, id: id))
        if !threadStarted {
            threadStarted = true
            let thread = Thread { [self] in run() }
            thread.name = "pflow-timers"
            thread.start()
        } else if heap.min?.id == id {
            condition.signal()
        }
        condition.unlock()
        return ScheduledAction { [self] in cancel(id) }
    }

    private func cancel(_ id: UInt64) {
        condition.lock()
        defer { condition.unlock() }
        guard actions.removeValue(forKey: id) != nil else { return }
        if heap.count > 1024 && heap.count > 2 * actions.count {
            heap = Heap(actions.map { Entry(deadline: $0.value.deadline, id: $0.key) })
        }
    }

    private func run() {
        condition.lock()
        while true {
            let now = ContinuousClock.now
            var due: [@Sendable () -> Void] = []
            while let first = heap.min, first.deadline <= now {
                heap.removeMin()
                if let entry = actions.removeValue(forKey: first.id) { due.append(entry.action) }
            }
            if !due.isEmpty {
                condition.unlock()
                for action in due { action() }
                condition.lock()
                continue
            }
            let wait = heap.min.map { now.duration(to: $0.deadline).seconds } ?? 3600
            _ = condition.wait(until: Date(timeIntervalSinceNow: wait))
        }
    }
}

/// A binary min-heap.
struct Heap<Element: Comparable> {
    private var elements: [Element] = []

    init() {}

    init(_ elements: [Element]) {
        for element in elements { insert(element) }
    }

    var count: Int { elements.count }
    var min: Element? { elements.first }

    mutating func insert(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard elements[child] < elements[parent] else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    mutating func removeMin() {
        guard !elements.isEmpty else { return }
        elements.swapAt(0, elements.count - 1)
        elements.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < elements.count && elements[left] < elements[smallest] { smallest = left }
            if right < elements.count && elements[right] < elements[smallest] { smallest = right }
            guard smallest != parent else { return }
            elements.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
