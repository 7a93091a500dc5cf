import Foundation
import Synchronization

/// Certificates for TLS tests, made by the `openssl` CLI while the tests run.
///
/// Why made at test time: no private key is ever committed, not even a test one, and
/// certificates that never expire in the repository cannot start failing on a date. Four
/// ECDSA P-256 certificates take about half a second with OpenSSL 3.
public struct TestCertificates: Sendable {
    public var directory: String
    /// The test CA (`basicConstraints=critical,CA:TRUE`): the one trust root clients get.
    public var caCertificate: String
    /// Signed by the CA for `DNS:localhost` and `IP:127.0.0.1`.
    public var server: MockTLSFiles
    /// Self-signed for the same names: no chain to the CA, so it is untrusted.
    public var selfSigned: MockTLSFiles
    /// Signed by the CA for `DNS:wrong.example` only, for hostname-mismatch tests.
    public var wrongHost: MockTLSFiles

    /// One set per process, in a temporary directory removed at exit.
    public static func shared() throws(TestCertificatesError) -> TestCertificates {
        try sharedSet.get()
    }

    private static let sharedSet = Result { () throws(TestCertificatesError) -> TestCertificates in
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("pflow-test-certificates-\(ProcessInfo.processInfo.processIdentifier)-\(UUID())")
            .path
        let certificates = try generate(in: directory)
        sharedDirectory.withLock { $0 = directory }
        atexit {
            if let directory = TestCertificates.sharedDirectory.withLock({ $0 }) {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        return certificates
    }

    private static let sharedDirectory = Mutex<String?>(nil)

    /// Writes a fresh CA, its server certificates and their keys into `directory`.
    public static func generate(in directory: String) throws(TestCertificatesError) -> TestCertificates {
        let base = URL(fileURLWithPath: directory)
        func path(_ name: String) -> String { base.appendingPathComponent(name).path }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(configuration.utf8).write(to: base.appendingPathComponent("openssl.cnf"))
        } catch {
            throw TestCertificatesError("cannot write to \(directory): \(error.localizedDescription)")
        }
        let ca = MockTLSFiles(certificatePath: path("ca.pem"), keyPath: path("ca-key.pem"))
        let certificates = TestCertificates(
            directory: directory, caCertificate: ca.certificatePath,
            server: MockTLSFiles(certificatePath: path("server.pem"), keyPath: path("server-key.pem")),
            selfSigned: MockTLSFiles(certificatePath: path("self-signed.pem"), keyPath: path("self-signed-key.pem")),
            wrongHost: MockTLSFiles(certificatePath: path("wrong-host.pem"), keyPath: path("wrong-host-key.pem")))
        try makeCertificate(ca, subject: "pflow test CA", extensions: "ca", config: path("openssl.cnf"))
        try makeCertificate(
            certificates.server, subject: "localhost", extensions: "server", issuer: ca, config: path("openssl.cnf"))
        try makeCertificate(
            certificates.selfSigned, subject: "localhost", extensions: "server", config: path("openssl.cnf"))
        try makeCertificate(
            certificates.wrongHost, subject: "wrong.example", extensions: "wrong_host", issuer: ca,
            config: path("openssl.cnf"))
        return certificates
    }

    /// `openssl req -x509` makes a key and its certificate in one run; with `-CA` (OpenSSL 3)
    /// the issuer signs it instead of the key itself.
    private static func makeCertificate(
        _ files: MockTLSFiles, subject: String, extensions: String, issuer: MockTLSFiles? = nil, config: String
    ) throws(TestCertificatesError) {
        var arguments = [
            "openssl", "req", "-x509", "-config", config, "-extensions", extensions, "-newkey", "ec",
            "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=\(subject)",
            "-keyout", files.keyPath, "-out", files.certificatePath,
        ]
        if let issuer { arguments += ["-CA", issuer.certificatePath, "-CAkey", issuer.keyPath] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw TestCertificatesError("cannot run openssl: \(error.localizedDescription)")
        }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestCertificatesError(
                "openssl could not make \(files.certificatePath) (exit \(process.terminationStatus)): "
                    + String(decoding: message, as: UTF8.self))
        }
    }

    private static let configuration = """
        [req]
        distinguished_name = subject
        prompt = no
        [subject]
        CN = pflow test
        [ca]
        basicConstraints = critical,CA:TRUE
        keyUsage = critical,keyCertSign,cRLSign
        subjectKeyIdentifier = hash
        [server]
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:localhost,IP:127.0.0.1
        [wrong_host]
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:wrong.example

        """
}

/// Test certificates could not be made; the message carries openssl's own words.
public struct TestCertificatesError: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
