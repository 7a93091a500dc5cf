import Foundation
import PFlowEngine
import Synchronization

/// A provider whose every answer the test decides, recording what it was asked and
/// whether in-flight requests were cancelled.
final class ScriptedProvider: LLMProvider {
    typealias Script = @Sendable (CompletionRequest) async throws(ProviderError) -> CompletionResponse

    private let script: Script
    private let log = Mutex<[CompletionRequest]>([])
    private let cancellations = Mutex<[String]>([])
    private let inFlight = Mutex<(now: Int, peak: Int)>((0, 0))

    init(_ script: @escaping Script) { self.script = script }

    func complete(_ request: CompletionRequest) async throws(ProviderError) -> CompletionResponse {
        log.withLock { $0.append(request) }
        inFlight.withLock { state in
            state.now += 1
            state.peak = max(state.peak, state.now)
        }
        defer { inFlight.withLock { $0.now -= 1 } }
        do {
            return try await script(request)
        } catch {
            if error.kind == .cancelled { cancellations.withLock { $0.append(request.stepID) } }
            throw error
        }
    }

    var requests: [CompletionRequest] { log.withLock { $0 } }
    var cancelledSteps: [String] { cancellations.withLock { $0 } }
    var peakInFlight: Int { inFlight.withLock { $0.peak } }

    func attempts(of stepID: String) -> Int { requests.filter { $0.stepID == stepID }.count }

    // MARK: Common scripts

    static func answer(_ request: CompletionRequest) -> CompletionResponse {
        CompletionResponse(text: "answer from \(request.stepID)", usage: TokenUsage(inputTokens: 10, outputTokens: 5))
    }

    /// Hangs until cancelled, like a server that never answers.
    static func hang() async throws(ProviderError) -> Never {
        while true {
            do { try await Task.sleep(for: .seconds(3600)) } catch { throw ProviderError(.cancelled, "cancelled") }
        }
    }

    static var succeeding: ScriptedProvider { ScriptedProvider { request throws(ProviderError) in answer(request) } }
}

/// Opens once; everyone waiting passes. Lets a test order two steps without timing.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let passed = state.withLock { s -> Bool in
                if s.open { return true }
                s.waiters.append(continuation)
                return false
            }
            if passed { continuation.resume() }
        }
    }
}

/// A value shared between test tasks.
final class Locked<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    func update(_ change: (inout Value) -> Void) { storage.withLock { change(&$0) } }
    var value: Value { storage.withLock { $0 } }
}
