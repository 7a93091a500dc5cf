import Foundation

/// Runs `curl` with `arguments` and waits for it.
///
/// Why curl: it is what a test needs to check the mock server's TLS from outside, with a
/// CA of its own, a forced `--http2` or `--http1.1`, a `--proxy`; URLSession on Linux can
/// do none of these. Like every harness child it sees no proxy variables from the shell.
func runCurl(_ arguments: [String], limit: Duration = .seconds(60)) async throws -> ProcessResult {
    let child = try ChildProcess(
        executable: URL(fileURLWithPath: "/usr/bin/curl"), arguments: ["--silent", "--show-error"] + arguments)
    return await child.wait(limit: limit)
}
