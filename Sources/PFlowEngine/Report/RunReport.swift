import Foundation

/// A finished (or interrupted) run read back from its directory, laid out for people:
/// the input of the HTML report and of `pflow show`.
///
/// run.json gives the steps, blocks, totals and critical path; steps/<id>.json gives each
/// attempt's timing, which the timeline draws. Answers are read from steps/<id>.md only
/// for the rows a report shows, so a 10,000-branch run is not loaded whole.
public struct RunReport: Sendable {
    public let directory: RunDirectory
    public let manifest: RunManifest
    public let records: [String: StepRecord]

    /// A block wider than this is drawn as a density band, and only its slowest and
    /// unsuccessful branches are listed.
    static let aggregateAbove = 40
    static let slowestListed = 10
    static let unsuccessfulListed = 100

    /// Reads `path`'s run.json and step records. Nothing is written. Without `allRecords`,
    /// the records of the branches a wide block does not list are left unread: decoding
    /// 10,000 of them took 1.9 s of a release build's 4.8 s run, for a band drawn from
    /// run.json's step times as well.
    public static func load(_ path: String, allRecords: Bool = false) throws(RunSetupError) -> RunReport {
        let (directory, manifest) = try Self.manifest(at: path)
        let records = PriorRun.readRecords(
            in: directory.stepsPath, only: allRecords ? nil : recordsDrawn(in: manifest))
        return RunReport(directory: directory, manifest: manifest, records: records)
    }

    /// Every step but the unlisted branches of wide blocks; nil when that is every step.
    static func recordsDrawn(in manifest: RunManifest) -> Set<String>? {
        var byBlock: [String: [RunManifest.StepEntry]] = [:]
        for step in manifest.steps {
            if let block = step.block { byBlock[block, default: []].append(step) }
        }
        let wide = byBlock.filter { $0.value.count > aggregateAbove }
        guard !wide.isEmpty else { return nil }
        var drawn = Set(manifest.steps.filter { step in step.block.map { wide[$0] == nil } ?? true }.map(\.id))
        for steps in wide.values {
            let slowest = steps.sorted { ($0.durationSeconds ?? -1) > ($1.durationSeconds ?? -1) }
            drawn.formUnion(slowest.prefix(slowestListed).map(\.id))
            drawn.formUnion(steps.filter { $0.status != .succeeded }.prefix(unsuccessfulListed).map(\.id))
        }
        return drawn
    }

    public init(directory: RunDirectory, manifest: RunManifest, records: [String: StepRecord]) {
        self.directory = directory
        self.manifest = manifest
        self.records = records
    }

    /// The run directory at `path` and its run.json, without the step records: enough for
    /// `show` and `runs`.
    public static func manifest(at path: String) throws(RunSetupError) -> (RunDirectory, RunManifest) {
        let directory: RunDirectory
        do { directory = try RunDirectory.open(path) } catch { throw RunSetupError(error.message) }
        return (directory, try manifest(in: directory))
    }

    /// run.json of `directory`, without the step records: enough for `show` and `runs`.
    public static func manifest(in directory: RunDirectory) throws(RunSetupError) -> RunManifest {
        guard let data = FileManager.default.contents(atPath: directory.manifestPath) else {
            throw RunSetupError("cannot read \(directory.manifestPath)")
        }
        do {
            return try JSONDecoder().decode(RunManifest.self, from: data)
        } catch {
            throw RunSetupError("\(directory.manifestPath) is not a pflow run manifest: \(error)")
        }
    }

    /// report.html in the run directory.
    public var defaultReportPath: String { directory.path + "/report.html" }

    /// The step's answer, when it succeeded and its steps/<id>.md is readable. Asked of
    /// run.json's entry, not the step's record: a `reduce` step writes a record of its own
    /// shape, and its readable .md is the answer to show.
    func answer(of entry: RunManifest.StepEntry) -> String? {
        guard entry.status == .succeeded,
            let data = FileManager.default.contents(atPath: directory.outputPath(forStep: entry.id))
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The self-contained HTML report.
    public func html() -> String { ReportHTML(report: self).render() }

    /// Builds the HTML report and writes it atomically to `path` (report.html by default).
    @discardableResult
    public func writeHTML(to path: String? = nil) throws(RunSetupError) -> String {
        let target = path ?? defaultReportPath
        do {
            try AtomicFile.write(html(), to: target)
        } catch {
            throw RunSetupError(error.message)
        }
        return target
    }
}
