import Foundation
import PFlowSpec

/// The values a run's `{{ inputs.NAME }}` see, and what run.json records of them.
public struct ResolvedInputs: Sendable, Hashable {
    /// What templates render.
    public var values: [String: String]
    /// For run.json: a file input's absolute path, never its content.
    public var recorded: [String: String]
    /// Inputs whose value was read from a file, in declaration order.
    public var fromFiles: [String]

    public init(values: [String: String] = [:], recorded: [String: String] = [:], fromFiles: [String] = []) {
        self.values = values
        self.recorded = recorded
        self.fromFiles = fromFiles
    }
}

/// Matches `--input k=v` and `--input-file k=PATH` against the declared inputs, before
/// any request is sent: unknown names and missing required inputs stop the run (exit 2).
///
/// Paths typed on the command line are relative to the working directory; a file input's
/// default, written in the workflow, is relative to the workflow file's folder
/// (`source(of:...)`, which `plan` also asks to count a map over a file input).
public enum InputResolver {
    /// Where a declared input's value comes from, before anything is read.
    public enum Source: Sendable, Hashable {
        case text(String)
        /// `written` as given, `absolute` resolved against the folder it is relative to.
        case file(absolute: String, written: String)
    }

    /// The one rule for where an input's value comes from: `--input-file`, then `--input`,
    /// then the declared default; nil when none gives one.
    public static func source(
        of input: InputSpec, values given: [String: String], files: [String: String] = [:],
        workflowDirectory: String, workingDirectory: String
    ) -> Source? {
        func file(_ path: String, relativeTo base: String) -> Source {
            .file(absolute: path.hasPrefix("/") ? path : base + "/" + path, written: path)
        }
        if let path = files[input.name] { return file(path, relativeTo: workingDirectory) }
        if let value = given[input.name] {
            return input.isFile ? file(value, relativeTo: workingDirectory) : .text(value)
        }
        if let value = input.defaultValue {
            return input.isFile ? file(value, relativeTo: workflowDirectory) : .text(value)
        }
        return nil
    }

    static func resolve(
        declared: [InputSpec], values given: [String: String], files: [String: String],
        workflowDirectory: String, workingDirectory: String
    ) throws(RunSetupError) -> ResolvedInputs {
        let names = Set(declared.map(\.name))
        var problems: [String] = []
        for name in Set(given.keys).union(files.keys).sorted() where !names.contains(name) {
            let known =
                declared.isEmpty
                ? "the workflow declares no inputs" : "declared: " + declared.map(\.name).joined(separator: ", ")
            problems.append("unknown input '\(name)' (\(known))")
        }
        for name in Set(given.keys).intersection(files.keys).sorted() {
            problems.append("input '\(name)' is given both with --input and --input-file")
        }

        var resolved = ResolvedInputs()
        for input in declared {
            do throws(RunSetupError) {
                let origin = source(
                    of: input, values: given, files: files, workflowDirectory: workflowDirectory,
                    workingDirectory: workingDirectory)
                switch origin {
                case .file(let absolute, let written)?:
                    try resolved.read(input.name, at: absolute, written: written)
                case .text(let value)?:
                    resolved.values[input.name] = value
                    resolved.recorded[input.name] = value
                case nil where input.required:
                    problems.append(
                        "missing required input '\(input.name)': pass --input \(input.name)=\(input.isFile ? "PATH" : "VALUE")"
                    )
                case nil:
                    resolved.values[input.name] = ""
                }
            } catch {
                problems.append(error.message)
            }
        }
        guard problems.isEmpty else { throw RunSetupError(problems.joined(separator: "\n")) }
        return resolved
    }

    /// A regular file of at most `RegularFile.maxBytes`: a FIFO would hang the run before
    /// it started, a huge file fill memory.
    fileprivate static func read(_ absolute: String, as path: String, for name: String) throws(RunSetupError) -> String
    {
        switch RegularFile.read(absolute) {
        case .success(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .failure(.unreadable) where !FileManager.default.fileExists(atPath: absolute):
            throw RunSetupError("input '\(name)': file '\(path)' does not exist")
        case .failure(let problem):
            throw RunSetupError("input '\(name)': '\(path)' \(problem.message(for: "a file"))")
        }
    }
}

extension ResolvedInputs {
    /// Reads a file input and records its absolute path, so `pflow resume` finds the file
    /// again from any working directory.
    fileprivate mutating func read(_ name: String, at absolute: String, written path: String) throws(RunSetupError) {
        values[name] = try InputResolver.read(absolute, as: path, for: name)
        recorded[name] = absolute
        fromFiles.append(name)
    }
}
