import PFlowEngine
import Testing

@Suite("AsyncSemaphore")
struct AsyncSemaphoreTests {
    @Test("waiters are served in arrival order")
    func fifo() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        try await semaphore.acquire()
        let order = Locked<[Int]>([])
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<5 {
                group.addTask {
                    try? await semaphore.acquire()
                    order.update { $0.append(index) }
                    semaphore.release()
                }
                // Let each waiter queue before the next one starts.
                while semaphore.waitingCount < index + 1 { await Task.yield() }
            }
            semaphore.release()
        }
        #expect(order.value == [0, 1, 2, 3, 4])
        #expect(semaphore.availablePermits == 1)
    }

    @Test("a cancelled waiter leaves the queue and takes no permit")
    func cancellationDoesNotLeak() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        try await semaphore.acquire()
        let waiter = Task { try await semaphore.acquire() }
        while semaphore.waitingCount < 1 { await Task.yield() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(semaphore.waitingCount == 0)
        semaphore.release()
        #expect(semaphore.availablePermits == 1)
        // The permit is still usable by the next caller.
        try await semaphore.acquire()
        #expect(semaphore.availablePermits == 0)
    }

    @Test("cancelling thousands of waiters at once leaves the count intact")
    func massCancellation() async throws {
        let semaphore = AsyncSemaphore(permits: 2)
        try await semaphore.acquire()
        try await semaphore.acquire()
        let waiters = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<5_000 { group.addTask { try? await semaphore.acquire() } }
            }
        }
        while semaphore.waitingCount < 5_000 { await Task.yield() }
        waiters.cancel()
        await waiters.value
        #expect(semaphore.waitingCount == 0)
        semaphore.release()
        semaphore.release()
        #expect(semaphore.availablePermits == 2)
    }

    @Test("an already cancelled task does not get a contended permit")
    func alreadyCancelled() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        try await semaphore.acquire()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await semaphore.acquire()
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        semaphore.release()
        #expect(semaphore.availablePermits == 1)
    }
}
