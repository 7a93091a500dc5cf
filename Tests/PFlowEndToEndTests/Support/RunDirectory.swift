import Foundation

/// What `pflow run --out DIR` left behind, read into memory (a test's temporary directory
/// is gone by the time it asserts) and loosely typed so tests state only what they check.
struct RunOutput {
    /// Path relative to the run directory → content, for every regular file.
    let files: [String: String]

    /// The newest run of workflow `name` under `out`: `out/<name>/latest`, or the only run.
    init(out: URL, name: String) throws {
        let runs = out.appendingPathComponent(name)
        let latest = runs.appendingPathComponent("latest")
        let directory: URL
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: latest.path) {
            directory = URL(fileURLWithPath: target, relativeTo: runs).standardizedFileURL
        } else {
            let entries = try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { $0 != "latest" }
            guard entries.count == 1, let only = entries.first else {
                throw HarnessError("expected one run in \(runs.path), found \(entries)")
            }
            directory = runs.appendingPathComponent(only)
        }
        let root = directory.standardizedFileURL.path + "/"
        var files: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let relative = String(url.standardizedFileURL.path.dropFirst(root.count))
            files[relative] = String(decoding: try Data(contentsOf: url), as: UTF8.self)
        }
        self.files = files
    }

    /// steps/<id>.json as a dictionary.
    func step(_ id: String) throws -> [String: Any] {
        guard let text = files["steps/\(id).json"],
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { throw HarnessError("no steps/\(id).json in the run; files: \(files.keys.sorted())") }
        return object
    }

    /// steps/<id>.md: the step's output text.
    func stepOutput(_ id: String) throws -> String {
        guard let text = files["steps/\(id).md"] else { throw HarnessError("no steps/\(id).md in the run") }
        return text
    }
}

extension Dictionary where Key == String, Value == Any {
    /// `record[path: "error", "message"]`: nested access without a cast at every level.
    subscript(path keys: String...) -> Any? {
        var current: Any? = self
        for key in keys { current = (current as? [String: Any])?[key] }
        return current
    }
}
