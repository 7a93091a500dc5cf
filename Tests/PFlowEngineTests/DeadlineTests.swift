import Foundation
import Synchronization
import Testing

@testable import PFlowEngine

/// The per-attempt deadline: one shared timer thread, and a child task that only the
/// deadline cancels.
@Suite("Deadlines and the timer queue")
struct DeadlineTests {
    @Test("the heap gives its elements back in order")
    func heapOrders() {
        var generator = SystemRandomNumberGenerator()
        let values = (0..<500).map { _ in Int.random(in: 0..<100, using: &generator) }
        var heap = Heap<Int>()
        for value in values { heap.insert(value) }
        var drained: [Int] = []
        while let first = heap.min {
            drained.append(first)
            heap.removeMin()
        }
        #expect(drained == values.sorted())
        #expect(Heap(values).count == values.count)
    }

    /// Fired actions, in firing order, and a way to wait for a number of them.
    final class Fired: Sendable {
        private let names = Mutex<[String]>([])
        func record(_ name: String) { names.withLock { $0.append(name) } }
        var all: [String] { names.withLock { $0 } }

        /// Waits until `count` actions fired, or gives up after `limit` (a liveness bound,
        /// far above any expected delay).
        func wait(for count: Int, limit: Duration = .seconds(20)) async {
            let end = ContinuousClock.now + limit
            while all.count < count && ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(5)) }
        }
    }

    @Test("timers fire in deadline order, an earlier one wakes the thread, a cancelled one never fires")
    func timersFireInOrder() async {
        let queue = TimerQueue()
        let fired = Fired()
        // The first timer starts the thread; the later, earlier ones must wake it from a
        // wait for the minute-long one, or this test outlasts its bound.
        let late = queue.schedule(after: .seconds(60)) { fired.record("late") }
        try? await Task.sleep(for: .milliseconds(100))
        _ = queue.schedule(after: .milliseconds(40)) { fired.record("second") }
        let cancelled = queue.schedule(after: .milliseconds(20)) { fired.record("cancelled") }
        _ = queue.schedule(after: .milliseconds(10)) { fired.record("first") }
        cancelled.cancel()
        await fired.wait(for: 2)
        try? await Task.sleep(for: .milliseconds(50))
        #expect(fired.all == ["first", "second"])
        late.cancel()
        late.cancel()
    }

    @Test("many cancelled timers are dropped without firing, and the live ones still fire")
    func cancelledTimersAreDropped() async {
        let queue = TimerQueue()
        let fired = Fired()
        let cancelled = (0..<5_000).map { index in queue.schedule(after: .seconds(30)) { fired.record("x\(index)") } }
        _ = queue.schedule(after: .milliseconds(20)) { fired.record("live") }
        for timer in cancelled { timer.cancel() }
        await fired.wait(for: 1)
        #expect(fired.all == ["live"])
    }

    @Test("an operation past its deadline is cancelled; one in time returns its value")
    func deadlineCancelsOnlyTheOperation() async {
        let slow = await withDeadline(.milliseconds(30), clock: .continuous) { () async -> Bool in
            (try? await Task.sleep(for: .seconds(30))) == nil
        }
        guard case .deadlinePassed = slow else {
            Issue.record("expected the deadline to pass, got \(slow)")
            return
        }
        // The caller itself was not cancelled: it can try again.
        #expect(!Task.isCancelled)
        let quick = await withDeadline(.seconds(30), clock: .continuous) { 42 }
        guard case .finished(let value) = quick else {
            Issue.record("expected a value, got \(quick)")
            return
        }
        #expect(value == 42)
    }

    @Test("cancelling the caller cancels the operation, which is not a deadline")
    func callerCancellationIsNotADeadline() async {
        let outcome = await Task {
            await withDeadline(.seconds(30), clock: .continuous) { () async -> Bool in
                (try? await Task.sleep(for: .seconds(30))) == nil
            }
        }.cancelling()
        guard case .finished(let wasCancelled) = outcome else {
            Issue.record("expected the operation's own answer, got \(outcome)")
            return
        }
        #expect(wasCancelled)
    }
}

extension Task where Failure == Never {
    /// Cancels the task once it has started and returns its value.
    fileprivate func cancelling() async -> Success {
        try? await Task<Never, Never>.sleep(for: .milliseconds(20))
        cancel()
        return await value
    }
}
