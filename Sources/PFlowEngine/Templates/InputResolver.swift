import Foundation
import PFlowSpec

/// The values a run's `{{ inputs.NAME }}` see, and what run.json records of them.
public struct ResolvedInputs: Sendable, Hashable {
    /// What templates render.
    public var values: [String: String]
    /// For run.json: a file input's path, never its content.
    public var recorded: [String: String]

    public init(values: [String: String] = [:], recorded: [String: String] = [:]) {
        self.values = values
        self.recorded = recorded
    }
}

/// Matches `--input k=v` and `--input-file k=PATH` against the declared inputs, before
/// any request is sent: unknown names and missing required inputs stop the run (exit 2).
///
/// Paths typed on the command line are relative to the working directory; a file input's
/// default, written in the workflow, is relative to the workflow file's folder.
enum InputResolver {
    static func resolve(
        declared: [InputSpec], values given: [String: String], files: [String: String],
        workflowDirectory: String, workingDirectory: String
    ) throws(RunSetupError) -> ResolvedInputs {
        let names = Set(declared.map(\.name))
        var problems: [String] = []
        for name in Set(given.keys).union(files.keys).sorted() where !names.contains(name) {
            let known = declared.isEmpty ? "the workflow declares no inputs" : "declared: " + declared.map(\.name).joined(separator: ", ")
            problems.append("unknown input '\(name)' (\(known))")
        }
        for name in Set(given.keys).intersection(files.keys).sorted() {
            problems.append("input '\(name)' is given both with --input and --input-file")
        }

        var resolved = ResolvedInputs()
        for input in declared {
            do throws(RunSetupError) {
                if let path = files[input.name] {
                    resolved.values[input.name] = try read(path, relativeTo: workingDirectory, for: input.name)
                    resolved.recorded[input.name] = path
                } else if let value = given[input.name] {
                    resolved.values[input.name] =
                        input.isFile ? try read(value, relativeTo: workingDirectory, for: input.name) : value
                    resolved.recorded[input.name] = value
                } else if let value = input.defaultValue {
                    resolved.values[input.name] =
                        input.isFile ? try read(value, relativeTo: workflowDirectory, for: input.name) : value
                    resolved.recorded[input.name] = value
                } else if input.required {
                    problems.append(
                        "missing required input '\(input.name)': pass --input \(input.name)=\(input.isFile ? "PATH" : "VALUE")")
                } else {
                    resolved.values[input.name] = ""
                }
            } catch {
                problems.append(error.message)
            }
        }
        guard problems.isEmpty else { throw RunSetupError(problems.joined(separator: "\n")) }
        return resolved
    }

    private static func read(_ path: String, relativeTo base: String, for name: String) throws(RunSetupError) -> String {
        let absolute = path.hasPrefix("/") ? path : base + "/" + path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
            throw RunSetupError("input '\(name)': file '\(path)' does not exist")
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: absolute) else {
            throw RunSetupError("input '\(name)': '\(path)' is not a readable file")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
