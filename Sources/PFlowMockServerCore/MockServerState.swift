import Foundation
import Synchronization

/// The server's counters and request log, shared by every connection on every event loop.
final class MockServerState: Sendable {
    /// Identifies one counted request between `begin` and `end`.
    struct Ticket: Sendable {
        var seq: Int
        var attempt: Int
        var step: String
        var model: String
        var start: Double
        var epoch: Int
    }

    private struct Counts {
        var stats = MockStats()
        var attemptsByStep: [String: Int] = [:]
        var seq = 0
        var epoch = 0
        var records: [MockRequestRecord] = []
    }

    private let counts = Mutex(Counts())
    private let logFile: MockRequestLogFile?

    init(logFile: MockRequestLogFile?) {
        self.logFile = logFile
    }

    func begin(step: String, model: String) -> Ticket {
        let now = Date().timeIntervalSince1970
        return counts.withLock { counts in
            counts.seq += 1
            counts.attemptsByStep[step, default: 0] += 1
            counts.stats.total.begin()
            counts.stats.byStep[step, default: MockCounters()].begin()
            counts.stats.byModel[model, default: MockCounters()].begin()
            return Ticket(
                seq: counts.seq, attempt: counts.attemptsByStep[step, default: 1], step: step, model: model,
                start: now, epoch: counts.epoch)
        }
    }

    func end(
        _ ticket: Ticket, path: String, api: String, status: Int, disconnected: Bool, authorization: Bool, host: String,
        parameterNames: [String], acceptEncoding: String?
    ) {
        let record = MockRequestRecord(
            seq: ticket.seq, start: ticket.start, end: Date().timeIntervalSince1970, path: path, api: api,
            model: ticket.model, step: ticket.step, attempt: ticket.attempt, status: status,
            disconnected: disconnected, authorization: authorization, host: host, parameterNames: parameterNames,
            acceptEncoding: acceptEncoding)
        counts.withLock { counts in
            // A reset in between keeps in-flight counts honest: only the gauge goes down.
            if ticket.epoch != counts.epoch {
                counts.stats.total.inFlight -= 1
                counts.stats.byStep[ticket.step]?.inFlight -= 1
                counts.stats.byModel[ticket.model]?.inFlight -= 1
                return
            }
            counts.stats.total.end(status: status, disconnected: disconnected)
            counts.stats.byStep[ticket.step]?.end(status: status, disconnected: disconnected)
            counts.stats.byModel[ticket.model]?.end(status: status, disconnected: disconnected)
            counts.records.append(record)
        }
        logFile?.append(record)
    }

    func connectionOpened() {
        counts.withLock { $0.stats.connections += 1 }
    }

    /// Counted once a TLS handshake (if any) has settled the protocol.
    func connectionSettled(on wire: MockWireProtocol, afterTLSHandshake: Bool) {
        counts.withLock { counts in
            counts.stats.connectionsByProtocol[wire, default: 0] += 1
            if afterTLSHandshake { counts.stats.tlsHandshakes += 1 }
        }
    }

    func streamOpened() {
        counts.withLock { $0.stats.streams += 1 }
    }

    func rateLimited() {
        counts.withLock { $0.stats.rateLimited += 1 }
    }

    func stats() -> MockStats {
        counts.withLock { $0.stats }
    }

    func records() -> [MockRequestRecord] {
        counts.withLock { $0.records }
    }

    /// Clears counters, the log and `fail-first` progress; requests still running stay in flight.
    func reset() {
        counts.withLock { counts in
            counts.epoch += 1
            counts.records = []
            counts.attemptsByStep = [:]
            counts.stats.total = Self.gaugeOnly(counts.stats.total)
            counts.stats.connections = 0
            counts.stats.connectionsByProtocol = [:]
            counts.stats.tlsHandshakes = 0
            counts.stats.streams = 0
            counts.stats.rateLimited = 0
            counts.stats.byStep = counts.stats.byStep.filter { $0.value.inFlight > 0 }.mapValues(Self.gaugeOnly)
            counts.stats.byModel = counts.stats.byModel.filter { $0.value.inFlight > 0 }.mapValues(Self.gaugeOnly)
        }
    }

    private static func gaugeOnly(_ counters: MockCounters) -> MockCounters {
        var fresh = MockCounters()
        fresh.inFlight = counters.inFlight
        fresh.peakInFlight = counters.inFlight
        return fresh
    }
}
