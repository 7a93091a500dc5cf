import Foundation
import Testing

@testable import PFlowEngine

/// The HTML report of a small hand-written run directory (Tests/Fixtures/report): brief →
/// a parallel block with a 429 then success, a timeout then success, and a cancelled
/// straggler → synthesis, which waited for a slot, for the budget, then for requests_per_minute.
@Suite("HTML report")
struct ReportHTMLTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/report").path

    private func html() throws -> String {
        try RunReport.load(Self.fixture).html()
    }

    @Test func answersAreEscaped() throws {
        let html = try html()
        #expect(!html.contains("<script>alert"))
        #expect(html.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; &amp; more."))
        // The page's own scripts: the error hook and the rendered marker, nothing else.
        #expect(html.components(separatedBy: "<script>").count == 3)
    }

    @Test func criticalPathIsMarkedWithItsLength() throws {
        let html = try html()
        #expect(html.contains("Critical path <strong>6.00s</strong> of 6.00s wall"))
        for id in ["brief", "financials", "synthesis"] {
            #expect(html.contains("data-step=\"\(id)\" data-status=\"succeeded\" data-critical=\"yes\""))
        }
        #expect(html.contains("data-step=\"press\" data-status=\"succeeded\">"))
    }

    @Test func attemptsShowRateLimitTimeoutBackoffAndCancellation() throws {
        let timeline = ReportTimeline(
            manifest: try RunReport.load(Self.fixture).manifest, records: try RunReport.load(Self.fixture).records)
        func kinds(_ id: String) -> [String] {
            timeline.steps.first { $0.entry.id == id }!.segments.map(\.kind.rawValue)
        }
        #expect(kinds("financials") == ["queued", "rate-limited", "backoff", "succeeded"])
        #expect(kinds("press") == ["timed-out", "backoff", "succeeded"])
        #expect(kinds("leadership") == ["cancelled"])
        #expect(kinds("synthesis") == ["queued", "budget-wait", "rate-wait", "succeeded"])
        let synthesis = timeline.steps.first { $0.entry.id == "synthesis" }!.segments
        #expect(synthesis.map(\.start) == [4.5, 4.55, 4.6, 4.8])
        let financials = timeline.steps.first { $0.entry.id == "financials" }!.segments
        #expect(financials.map(\.start) == [1.0, 1.5, 2.0, 3.0])
        #expect(financials.map(\.end) == [1.5, 2.0, 3.0, 4.5])
        #expect(timeline.length == 6.0)

        let html = try html()
        #expect(html.contains("data-step=\"leadership\" data-status=\"cancelled\""))
        #expect(html.contains("class=\"attempt attempt-rate-limited\""))
        #expect(html.contains("class=\"attempt attempt-timed-out\""))
        #expect(html.contains("<rect class=\"seg seg-backoff\""))
        #expect(html.contains("<rect class=\"seg seg-queued\""))
        #expect(html.contains("<rect class=\"seg seg-budget-wait\""))
    }

    @Test func blockPolicyOutcomeAndStragglers() throws {
        let html = try html()
        #expect(html.contains("2 of 3 succeeded, min_success 2 met"))
        #expect(html.contains("<td>1 cancelled</td>"))
        #expect(html.contains("data-run-status=\"succeeded\""))
    }

    @Test func longAnswersAreFolded() throws {
        let html = try html()
        #expect(html.contains("<details><summary>Revenue grew.…</summary>"))
        #expect(html.contains("<span class=\"text\">Press is fine.</span>"))
    }

    @Test func inFlightPeaksPerProvider() throws {
        let report = try RunReport.load(Self.fixture)
        let series = ReportTimeline(manifest: report.manifest, records: report.records).inFlight(buckets: 12)
        #expect(series.map(\.provider) == ["fast"])
        // Half-second buckets, each its busiest moment: brief alone, then press, leadership
        // and financials' 429 together, then two, then synthesis alone.
        #expect(series[0].peaks == [1, 1, 2, 3, 3, 2, 2, 2, 2, 2, 1, 1])
        let html = report.html()
        #expect(html.contains("fast: peak 3 of max_concurrency 3"))
        #expect(html.contains("<line class=\"provider-limit series-0\" data-provider=\"fast\""))
        #expect(html.contains("run max_concurrency 4"))
    }

    @Test func timestampsReadBackAsWritten() {
        for milliseconds in [0, 1_767_261_600_123, 951_782_400_000, 4_102_444_799_999] {
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            #expect(UTCTimestamp.milliseconds(fromISO8601: UTCTimestamp.iso8601(date)) == milliseconds)
        }
        #expect(UTCTimestamp.milliseconds(fromISO8601: "2026-13-01T00:00:00.000Z") == nil)
        #expect(UTCTimestamp.milliseconds(fromISO8601: "yesterday") == nil)
    }

    @Test func aMissingRunDirectoryIsAClearError() {
        #expect(throws: RunSetupError("/nonexistent/run is not a run directory: no such folder")) {
            try RunReport.load("/nonexistent/run")
        }
    }
}
