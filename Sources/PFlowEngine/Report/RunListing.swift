import Foundation

/// One run under an output folder, as `pflow runs` lists it.
public struct RunListing: Sendable, Codable, Hashable {
    public var name: String
    public var id: String
    public var path: String
    public var status: RunStatus
    public var startedAt: String
    public var durationSeconds: Double?
    public var requests: Int
    public var costUSD: Double

    enum CodingKeys: String, CodingKey {
        case name, id, path, status, requests
        case startedAt = "started_at"
        case durationSeconds = "duration_seconds"
        case costUSD = "cost_usd"
    }

    /// Every run under `root/<name>/<run id>/`, newest first. Folders without a readable
    /// run.json (not runs, or a run that never got one) are left out; `latest` is a link
    /// to a run already listed.
    public static func list(root: String) -> [RunListing] {
        let fileManager = FileManager.default
        var listings: [RunListing] = []
        for name in (try? fileManager.contentsOfDirectory(atPath: root)) ?? [] where !name.hasPrefix(".") {
            let folder = root + "/" + name
            for id in (try? fileManager.contentsOfDirectory(atPath: folder)) ?? [] where id != "latest" {
                guard let (directory, manifest) = try? RunReport.manifest(at: folder + "/" + id) else { continue }
                listings.append(
                    RunListing(
                        name: manifest.workflow.name, id: manifest.run, path: directory.path, status: manifest.status,
                        startedAt: manifest.startedAt, durationSeconds: manifest.durationSeconds,
                        requests: manifest.totals.requests, costUSD: manifest.totals.costUSD))
            }
        }
        return listings.sorted { ($0.startedAt, $0.id) > ($1.startedAt, $1.id) }
    }
}
