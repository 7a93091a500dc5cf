/// The run laid out in time: for each step, what each stretch of its life was spent on,
/// in seconds since the run started. Built from the wall-clock timestamps of run.json and
/// steps/<id>.json, which survive a resume (events.jsonl restarts its clock each session).
struct ReportTimeline: Sendable {
    /// What a stretch of a step's time went to. Waiting and network time are different
    /// kinds, so the report can draw them differently.
    enum SegmentKind: String, Sendable, CaseIterable {
        /// Waiting for a concurrency slot (the run's, a block's or the provider's).
        case queued
        /// Waiting, slots in hand, for other attempts' budget reservations to settle.
        case budgetWait = "budget-wait"
        /// Waiting for the provider's `requests_per_minute`, slot in hand.
        case rateWait = "rate-wait"
        /// The backoff (or Retry-After) sleep between two attempts.
        case backoff
        case succeeded
        /// A 429: the provider asked to slow down.
        case rateLimited = "rate-limited"
        case failed
        case timedOut = "timed-out"
        case cancelled

        var isRequest: Bool { self != .queued && self != .backoff && self != .rateWait && self != .budgetWait }

        var label: String {
            switch self {
            case .queued: "waiting for a concurrency slot"
            case .budgetWait: "waiting for the budget"
            case .rateWait: "waiting for requests_per_minute"
            case .backoff: "backoff before a retry"
            case .succeeded: "request succeeded"
            case .rateLimited: "rate limited (429)"
            case .failed: "request failed"
            case .timedOut: "request timed out"
            case .cancelled: "request cancelled"
            }
        }
    }

    struct Segment: Sendable {
        var kind: SegmentKind
        var start: Double
        var end: Double
        /// The attempt a request segment was, or the attempt a wait came before.
        var attempt: Int
        var detail: String?
    }

    struct Step: Sendable {
        var entry: RunManifest.StepEntry
        var provider: String?
        var start: Double?
        var end: Double?
        var segments: [Segment]

        var duration: Double? {
            guard let start, let end else { return nil }
            return end - start
        }
    }

    /// Steps in run.json's order (declaration order; map branches as their map expanded).
    var steps: [Step]
    /// The run's span: from its start to its end (or its last recorded moment).
    var length: Double

    init(manifest: RunManifest, records: [String: StepRecord]) {
        let origin = UTCTimestamp.milliseconds(fromISO8601: manifest.startedAt) ?? 0
        func seconds(_ text: String?) -> Double? {
            guard let text, let milliseconds = UTCTimestamp.milliseconds(fromISO8601: text) else { return nil }
            return Double(milliseconds - origin) / 1000
        }
        let sessionStarts = (manifest.resumes ?? []).compactMap { seconds($0.startedAt) }
        var latest = 0.0
        steps = manifest.steps.map { entry in
            let record = records[entry.id]
            var segments: [Segment] = []
            var cursor = seconds(record?.startedAt ?? entry.startedAt)
            for attempt in record?.attempts ?? [] {
                guard let start = seconds(attempt.startedAt), let end = seconds(attempt.endedAt) else { continue }
                if var waitStart = cursor, waitStart < start {
                    // A resume between two attempts: the time between sessions was nobody's wait.
                    if let session = sessionStarts.last(where: { $0 > waitStart && $0 <= start }) {
                        waitStart = session
                    } else if attempt.delayBeforeSeconds > 0 {
                        let backoffEnd = min(start, waitStart + attempt.delayBeforeSeconds)
                        segments.append(
                            Segment(kind: .backoff, start: waitStart, end: backoffEnd, attempt: attempt.number))
                        waitStart = backoffEnd
                    }
                    // An attempt takes its slots, then its budget, then its rate: the waits
                    // are drawn back from its start in that order.
                    let rateStart = max(waitStart, start - (attempt.rateLimitWaitSeconds ?? 0))
                    let budgetStart = max(waitStart, rateStart - (attempt.budgetWaitSeconds ?? 0))
                    if waitStart < budgetStart {
                        segments.append(
                            Segment(kind: .queued, start: waitStart, end: budgetStart, attempt: attempt.number))
                    }
                    if budgetStart < rateStart {
                        segments.append(
                            Segment(kind: .budgetWait, start: budgetStart, end: rateStart, attempt: attempt.number))
                    }
                    if rateStart < start {
                        segments.append(
                            Segment(kind: .rateWait, start: rateStart, end: start, attempt: attempt.number))
                    }
                }
                var detail = attempt.httpStatus.map { "HTTP \($0)" }
                if let error = attempt.error { detail = (detail.map { $0 + ": " } ?? "") + error.message }
                segments.append(
                    Segment(
                        kind: Self.kind(of: attempt), start: start, end: max(end, start), attempt: attempt.number,
                        detail: detail))
                cursor = end
            }
            let start = seconds(entry.startedAt ?? record?.startedAt) ?? segments.first?.start
            let end = seconds(entry.endedAt ?? record?.endedAt) ?? segments.last?.end
            if record == nil, entry.attempts > 0, let start, let end {
                // A branch whose record was not read (RunReport.load): run.json's span of it.
                segments.append(
                    Segment(
                        kind: Self.kind(of: entry.status), start: start, end: max(start, end), attempt: entry.attempts))
            }
            latest = max(latest, end ?? 0, segments.last?.end ?? 0)
            return Step(
                entry: entry, provider: record?.provider ?? entry.provider, start: start, end: end, segments: segments)
        }
        length = max(seconds(manifest.endedAt) ?? 0, latest, 0.001)
    }

    static func kind(of status: NodeStatus) -> SegmentKind {
        switch status {
        case .succeeded: .succeeded
        case .timedOut: .timedOut
        case .cancelled: .cancelled
        default: .failed
        }
    }

    static func kind(of attempt: StepRecord.Attempt) -> SegmentKind {
        switch attempt.status {
        case .succeeded: return .succeeded
        case .timedOut: return .timedOut
        case .cancelled: return .cancelled
        default:
            if attempt.httpStatus == 429 || attempt.error?.kind == ProviderError.Kind.rateLimited.rawValue {
                return .rateLimited
            }
            return .failed
        }
    }

    /// The most requests in flight at once in each of `buckets` equal slices of the run,
    /// per provider: the in-flight chart, bounded in size whatever the run's width.
    func inFlight(buckets: Int) -> [(provider: String, peaks: [Int])] {
        var changes: [String: [(time: Double, delta: Int)]] = [:]
        for step in steps {
            for segment in step.segments where segment.kind.isRequest {
                changes[step.provider ?? "?", default: []].append((segment.start, 1))
                changes[step.provider ?? "?", default: []].append((segment.end, -1))
            }
        }
        return changes.sorted { $0.key < $1.key }.map { provider, changes in
            // Ends before starts at the same instant: back-to-back requests are not overlap.
            let sorted = changes.sorted { ($0.time, $0.delta) < ($1.time, $1.delta) }
            var peaks = [Int](repeating: 0, count: buckets)
            var current = 0
            var index = 0
            for bucket in 0..<buckets {
                let bucketEnd = length * Double(bucket + 1) / Double(buckets)
                peaks[bucket] = current
                while index < sorted.count && sorted[index].time < bucketEnd {
                    current += sorted[index].delta
                    peaks[bucket] = max(peaks[bucket], current)
                    index += 1
                }
            }
            return (provider, peaks)
        }
    }
}
