import Foundation

/// What a finished `pflow` (or any harness-run) process left behind.
struct ProcessResult: Sendable {
    var exitCode: Int32
    var stdout: String
    var stderr: String
    /// The harness killed it after its time limit.
    var timedOut: Bool
}

/// A running child process whose output goes to files, so full pipes can never block it.
///
/// Why not `Process` directly in tests: every end-to-end test needs the same start, signal,
/// wait-with-a-limit and capture steps, and a forgotten child would outlive the test run.
final class ChildProcess: @unchecked Sendable {
    // Unchecked: `process` is only configured before `run()`; afterwards it is read for
    // its pid and status, which Foundation synchronises, and `exited` is set once.
    private let process = Process()
    private let output: TemporaryDirectory
    private let exited: AsyncStream<Void>

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Starts `executable` with exactly `environment` plus PATH, HOME and TMPDIR: nothing
    /// from the developer's shell (an API key, say) leaks into a test.
    init(executable: URL, arguments: [String], environment: [String: String] = [:], cwd: URL? = nil) throws {
        output = try TemporaryDirectory(prefix: "pflow-process")
        let stdoutURL = output.url.appendingPathComponent("stdout")
        let stderrURL = output.url.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)

        var fullEnvironment = ProcessInfo.processInfo.environment.filter {
            ["PATH", "HOME", "TMPDIR"].contains($0.key)
        }
        fullEnvironment.merge(environment) { $1 }
        process.executableURL = executable
        process.arguments = arguments
        process.environment = fullEnvironment
        if let cwd { process.currentDirectoryURL = cwd }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        exited = stream
        process.terminationHandler = { _ in continuation.finish() }
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        output.remove()
    }

    func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Runs `action` once, on a thread of its own, as soon as `condition` holds (polled every
    /// 5 ms) while the process runs. A test's own polling runs on the cooperative pool, which
    /// the in-process engine tests can keep busy for longer than a short run lasts, so "kill
    /// it mid-run" or "fill the disk mid-step" came too late; a thread is not starved that way.
    func whileRunning(when condition: @escaping @Sendable () -> Bool, do action: @escaping @Sendable () -> Void) {
        Thread { [self] in
            while isRunning {
                if condition() {
                    action()
                    return
                }
                usleep(5_000)
            }
        }.start()
    }

    var stdout: String { read("stdout") }
    var stderr: String { read("stderr") }

    /// Waits for the exit; past `limit` the process is killed and `timedOut` is set.
    func wait(limit: Duration = .seconds(120)) async -> ProcessResult {
        let exited = self.exited
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in exited {}
                return true
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !finished {
            signal(SIGKILL)
            // Not the stream again: cancelling its first reader ended it, so a second loop
            // returned at once and terminationStatus then trapped on a running process.
            process.waitUntilExit()
        }
        return ProcessResult(
            exitCode: process.terminationStatus, stdout: stdout, stderr: stderr, timedOut: !finished)
    }

    private func read(_ name: String) -> String {
        (try? String(contentsOf: output.url.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }
}

/// Starts the built `pflow` binary; use `wait()` for its result, `signal(_:)` to interrupt it.
func startPFlow(_ arguments: [String], env: [String: String] = [:], cwd: URL? = nil) throws -> ChildProcess {
    try ChildProcess(executable: BuildProducts.executable("pflow"), arguments: arguments, environment: env, cwd: cwd)
}

/// Runs the built `pflow` binary to completion.
func runPFlow(
    _ arguments: [String], env: [String: String] = [:], cwd: URL? = nil, limit: Duration = .seconds(120)
) async throws -> ProcessResult {
    try await startPFlow(arguments, env: env, cwd: cwd).wait(limit: limit)
}
