import Foundation
import Synchronization

/// What an earlier session of a run left on disk, read back for `pflow resume`.
///
/// The step records are the truth about what finished: a step is done only when
/// steps/<id>.json says `succeeded` and its steps/<id>.md exists, both written whole before
/// the step settled. run.json is rewritten coalesced, so after a SIGKILL it may lag
/// behind; it is used for what no record holds (steps that never made a request).
public final class PriorRun: Sendable {
    public let directory: RunDirectory
    public let manifest: RunManifest
    let records: [String: StepRecord]
    let entries: [String: RunManifest.StepEntry]
    /// The highest attempt number seen per step, in records, run.json or events.jsonl: an
    /// attempt in flight when the run was killed appears only in the events.
    let attemptsSeen: [String: Int]

    /// Reads run.json, steps/*.json and events.jsonl of `path`. A torn last line in
    /// events.jsonl (the process died mid-write) is cut off, so the log stays valid JSON lines.
    public static func load(_ path: String) throws(RunSetupError) -> PriorRun {
        let directory: RunDirectory
        let manifest: RunManifest
        do {
            directory = try RunDirectory.open(path)
            guard let data = FileManager.default.contents(atPath: directory.manifestPath) else {
                throw RunStoreError("cannot read \(directory.manifestPath)")
            }
            manifest = try JSONDecoder().decode(RunManifest.self, from: data)
        } catch let error as RunStoreError {
            throw RunSetupError(error.message)
        } catch {
            throw RunSetupError("\(path)/run.json is not a pflow run manifest: \(error)")
        }
        var entries: [String: RunManifest.StepEntry] = [:]
        for entry in manifest.steps { entries[entry.id] = entry }
        let records = readRecords(in: directory.stepsPath)
        var attempts: [String: Int] = [:]
        for (id, entry) in entries { attempts[id] = entry.attempts }
        for (id, record) in records {
            attempts[id] = max(attempts[id] ?? 0, record.attempts.last?.number ?? 0)
        }
        for (id, attempt) in attemptsStarted(in: directory.eventsPath) {
            attempts[id] = max(attempts[id] ?? 0, attempt)
        }
        return PriorRun(
            directory: directory, manifest: manifest, records: records, entries: entries, attempts: attempts)
    }

    private init(
        directory: RunDirectory, manifest: RunManifest, records: [String: StepRecord],
        entries: [String: RunManifest.StepEntry], attempts: [String: Int]
    ) {
        self.directory = directory
        self.manifest = manifest
        self.records = records
        self.entries = entries
        attemptsSeen = attempts
    }

    /// How the step ended last time: its record's status, else run.json's, else `pending`.
    func status(of id: String) -> NodeStatus {
        records[id]?.status ?? entries[id]?.status ?? .pending
    }

    /// The text of a step that succeeded, when both its record and its .md say so.
    func output(of id: String) -> String? {
        guard let record = records[id], record.status == .succeeded, record.output != nil,
            let data = FileManager.default.contents(atPath: directory.outputPath(forStep: id))
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Every readable steps/<id>.json of a run, by step id. Decoded on every core: a
    /// 10,000-branch run's records are most of what `pflow resume` and the end-of-run
    /// report read.
    /// `only`, when given, names the steps wanted; the others are not read.
    static func readRecords(in folder: String, only: Set<String>? = nil) -> [String: StepRecord] {
        // Dot files are temporaries a killed process left behind.
        let paths =
            only.map { ids in ids.map { folder + "/" + $0 + ".json" } }
            ?? ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.map { folder + "/" + $0 }
        let chunks = max(1, min(paths.count / 256, ProcessInfo.processInfo.activeProcessorCount * 2))
        let decoded = Mutex([StepRecord]())
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let decoder = JSONDecoder()
            var records: [StepRecord] = []
            for index in stride(from: chunk, to: paths.count, by: chunks) {
                guard let data = FileManager.default.contents(atPath: paths[index]),
                    let record = try? decoder.decode(StepRecord.self, from: data)
                else { continue }
                records.append(record)
            }
            decoded.withLock { $0 += records }
        }
        var records: [String: StepRecord] = [:]
        for record in decoded.withLock({ $0 }) { records[record.id] = record }
        return records
    }

    private struct StartedAttempt: Decodable {
        var event: String
        var step: String?
        var attempt: Int?
    }

    private static func attemptsStarted(in path: String) -> [String: Int] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        if let lastNewline = data.lastIndex(of: 0x0A), lastNewline + 1 < data.count {
            truncate(path, off_t(lastNewline + 1))
        } else if !data.isEmpty && data.last != 0x0A {
            truncate(path, 0)
        }
        let decoder = JSONDecoder()
        var attempts: [String: Int] = [:]
        let marker = Array("attempt_started".utf8)
        for line in data.split(separator: 0x0A) where line.firstRange(of: marker) != nil {
            guard let event = try? decoder.decode(StartedAttempt.self, from: Data(line)),
                event.event == RunEvent.Kind.attemptStarted.rawValue, let step = event.step, let attempt = event.attempt
            else { continue }
            attempts[step] = max(attempts[step] ?? 0, attempt)
        }
        return attempts
    }
}
