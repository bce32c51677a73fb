import AlertStore
@testable import AnalystAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import TestSupport
import Testing

/// A log handler that keeps every line it is given (message and metadata).
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    final class Sink: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
        var text: String { lock.lock(); defer { lock.unlock() }; return lines.joined(separator: "\n") }
    }
    let sink: Sink
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    init(_ sink: Sink) { self.sink = sink }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        sink.append("\(event.level) \(event.message) \(all) \(event.error.map { "\($0)" } ?? "")")
    }
}

/// Passwords of DATABASE_URL and Kafka's sasl.password never appear in
/// logs, `--help` or error messages; TLS options reach libpq and librdkafka.
@Suite(.serialized) struct SecretTests {
    static let dbSecret = "S3cret-Pw-4711"
    static let kafkaSecret = "K4fka-S3cret-0815"

    @Test func connectionStringsAreRedacted() {
        let s = SecretTests.dbSecret
        for (url, secret) in [("postgresql://ana:\(s)@db.internal:5432/qly?sslmode=verify-full", s),
                              ("postgres://ana:\(s)@db/qly", s),
                              ("postgresql://db/qly?user=ana&password=\(s)&sslmode=require", s),
                              ("postgresql://ana:p%40ss%zz\(s)@db/qly", "p%40ss%zz\(s)"),
                              ("host=db user=ana password=\(s) sslmode=verify-full", s),
                              ("host=db password = '\(s) with \\' quote' dbname=qly", "\(s) with ' quote")] {
            let r = ConnInfo.redacted(url)
            #expect(!r.contains(s) && r.contains("***"), "\(r)")
            #expect(ConnInfo.secrets(url).contains(secret), "\(url)")
            #expect(!ConnInfo.scrubbed("libpq said: \"\(secret)\"", conninfo: url).contains(s), "\(url)")
        }
        #expect(ConnInfo.secrets("postgresql:///qly?host=/run/postgresql").isEmpty)
        #expect(ConnInfo.redacted("postgresql://ana@db/qly?sslmode=verify-full&sslrootcert=/etc/ca.pem")
                == "postgresql://ana@db/qly?sslmode=verify-full&sslrootcert=/etc/ca.pem")
    }

    /// libpq quotes parts of a malformed connection string in its errors.
    @Test func connectionErrorsDoNotQuotePasswords() {
        let s = SecretTests.dbSecret
        for url in ["postgresql://ana:\(s)%zz@127.0.0.1:1/qly", "postgresql://ana:\(s)@127.0.0.1:1/qly?bogus_option=\(s)",
                    "host=127.0.0.1 port=1 password=\(s) \(s)", "postgresql://ana:\(s)@127.0.0.1:1/qly?connect_timeout=2",
                    "host=/nonexistent password='\(s)' dbname=qly"] {
            do {
                _ = try PostgresConnection(url)
                Issue.record("connected to \(url)?")
            } catch {
                let text = "\(error) \(String(describing: error)) \((error as? PostgresError)?.message ?? "")"
                #expect(!text.contains(s), "\(text)")
            }
        }
    }

    /// `sslmode` and friends in the URL go to libpq unchanged.
    @Test func postgresTLSOptionsReachLibpq() {
        for (query, mentions) in [("sslmode=bogus", "sslmode"), ("sslmode=verify-full&sslrootcert=/nonexistent/qly-root.crt", "qly-root.crt"),
                                  ("sslmode=require&sslcert=/nonexistent/qly-client.crt&sslkey=/nonexistent/qly-client.key", "")] {
            do {
                _ = try PostgresConnection("postgresql://ana@127.0.0.1:1/qly?connect_timeout=2&\(query)")
                Issue.record("connected?")
            } catch {
                let text = String(describing: error)
                if !mentions.isEmpty && !text.contains("Connection refused") && !text.contains("could not connect") {
                    #expect(text.contains(mentions), "\(query): \(text)")
                }
                if query.hasPrefix("sslmode=bogus") { #expect(text.contains("sslmode"), "\(text)") }
            }
        }
    }

    /// A server whose database is unreachable answers 503 and logs why, without the password.
    @Test func serverLogsCarryNoDatabasePassword() async throws {
        let sink = CapturingLogHandler.Sink()
        let logger = Logger(label: "test.secrets") { _ in CapturingLogHandler(sink) }
        let s = SecretTests.dbSecret
        for url in ["postgresql://ana:\(s)@127.0.0.1:1/qly?connect_timeout=2", "postgresql://ana:\(s)%zz@127.0.0.1:1/qly"] {
            let server = AnalystServer(databaseURL: url, config: AnalystServerConfig(bcryptCost: 4, connections: 1), logger: logger)
            try await server.application().test(.router) { client in
                var b = Browser(client)
                b.bearer = "qly_" + String(repeating: "a", count: 43)
                let r = try await b.get("/api/me")
                #expect(r.status.code == 503 && !r.text.contains(s), "\(r.status) \(r.text)")
                var fresh = Browser(client)
                let page = try await fresh.get("/login")
                #expect(!page.text.contains(s))
            }
            await server.database.close()
        }
        #expect(!sink.text.isEmpty, "the failure was logged")
        #expect(!sink.text.contains(s), "\(sink.text)")
    }

    // MARK: the CLI, black box

    /// The `qianliyan` binary built next to this test bundle (same build), if any.
    static var binary: String? {
        var candidates: [String] = []
        let me = URL(fileURLWithPath: CommandLine.arguments.first ?? "")
        var dir = me.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("qianliyan").path)
            dir.deleteLastPathComponent()
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) && !$0.hasSuffix(".xctest") }
    }

    /// Runs the CLI with `arguments` and `environment` (added to a minimal one),
    /// killing it after `timeout` seconds; returns stdout + stderr and the status.
    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 60) throws -> (output: String, status: Int32) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary!)
        p.arguments = arguments
        var env = ["PATH": "/usr/bin:/bin", "HOME": FileManager.default.temporaryDirectory.path, "QIANLIYAN_HOME": FileManager.default.temporaryDirectory.path + "/qly-secret-test"]
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let deadline = DispatchTime.now() + timeout
        let killer = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: deadline, execute: killer)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        killer.cancel()
        return (String(decoding: data, as: UTF8.self), p.terminationStatus)
    }

    @Test(.enabled(if: SecretTests.binary != nil, "needs the qianliyan binary (swift build --build-tests builds it)"))
    func cliNeverPrintsTheDatabasePassword() throws {
        let s = SecretTests.dbSecret
        let url = "postgresql://ana:\(s)@127.0.0.1:1/qly?connect_timeout=2"
        for args in [["--help"], ["serve", "--help"], ["run", "--help"], ["db", "--help"], ["users", "--help"], ["replay", "--help"]] {
            let (output, _) = try SecretTests.run(args, environment: ["DATABASE_URL": url])
            #expect(!output.contains(s), "\(args): \(output)")
        }
        for (args, env) in [(["db", "migrate"], ["DATABASE_URL": url]),
                            (["db", "migrate", "--database", "postgresql://ana:\(s)%zz@127.0.0.1:1/qly"], [:]),
                            (["serve", "--listen", "127.0.0.1:0"], ["DATABASE_URL": url]),
                            (["users", "list"], ["DATABASE_URL": url])] {
            let (output, status) = try SecretTests.run(args, environment: env, timeout: 30)
            #expect(status != 0, "\(args) should fail without a database")
            #expect(!output.contains(s), "\(args): \(output)")
        }
    }

    @Test(.enabled(if: SecretTests.binary != nil, "needs the qianliyan binary"))
    func kafkaPasswordsStayOutOfOutputAndTLSOptionsReachLibrdkafka() async throws {
        try await TestPostgres.withStore { _, url in
            var rules = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { rules.deleteLastPathComponent() }
            let base = ["run", "--brokers", "127.0.0.1:1", "--database", url, "--rules-from", "files", "--rules", rules.appendingPathComponent("Rules").path]
            let k = SecretTests.kafkaSecret
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qly-kafka-\(getpid())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let configFile = dir.appendingPathComponent("kafka.properties").path
            try """
                # secrets stay off the command line
                security.protocol=SASL_SSL
                sasl.mechanisms=SCRAM-SHA-512
                sasl.username=qianliyan-worker
                sasl.password=\(k)
                ssl.ca.location=/nonexistent/qly-kafka-ca.pem
                """.write(toFile: configFile, atomically: true, encoding: .utf8)
            let cases: [(String, [String], String)] = [
                // -X reaches librdkafka: an unknown property is named in its refusal
                ("-X", ["-X", "sasl.password=\(k)", "-X", "qly.bogus.property=1"], "qly.bogus.property"),
                // SASL settings are used (an unknown mechanism is refused); the password is not echoed
                ("SASL -X", ["-X", "security.protocol=SASL_SSL", "-X", "sasl.username=u", "-X", "sasl.password=\(k)", "-X", "sasl.mechanisms=QLY-BOGUS"], "qly-bogus"),
                // TLS options are used: the missing CA file is what fails
                ("TLS -X", ["-X", "security.protocol=SSL", "-X", "ssl.ca.location=/nonexistent/qly-kafka-ca.pem", "-X", "ssl.key.password=\(k)"], "ssl.ca.location"),
                ("--kafka-config", ["--kafka-config", configFile], "ssl.ca.location"),
            ]
            for (what, extra, mentions) in cases {
                let (output, status) = try SecretTests.run(base + extra, timeout: 60)
                #expect(status != 0, "\(what): the worker should refuse: \(output)")
                #expect(!output.contains(k), "\(what): \(output)")
                #expect(output.lowercased().contains(mentions), "\(what): \(output)")
            }
        }
    }
}
