import AlertStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

@Suite("Embedded PostgreSQL")
struct PostgresEmbeddedTests {
    @Test func startReuseStopAndRestart() async throws {
        let dir = FileManager.default.temporaryDirectory.path + "/qianliyan-embedded-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let pg = EmbeddedPostgres(directory: dir, options: .init(durable: false, listenOnTCP: true))
        try pg.stopWhenProcessExits(removeDirectory: true)
        #expect(pg.status() == .notInitialized)
        #expect(pg.url() == nil)

        let url = try await pg.start()
        guard case .running(_, let port) = pg.status() else { Issue.record("not running"); return }
        #expect(pg.url() == url)
        #expect(try await pg.start() == url)  // reuses the running cluster

        // Both the socket URL and 127.0.0.1 reach the `qianliyan` database.
        for u in [url, "postgresql://postgres@127.0.0.1:\(port)/qianliyan"] {
            let c = try PostgresConnection(u)
            #expect(try c.execute("SELECT current_database()").scalar == "qianliyan")
            c.close()
        }
        let store = PostgresAlertStore(url: url)
        try await store.migrate()
        try await store.write(alerts: PostgresFixtures.alerts(0..<3))
        await store.close()

        try await pg.stop()
        #expect(pg.status() == .stopped)
        #expect(pg.url() == nil)
        try await pg.stop()  // stopping a stopped cluster is fine

        let again = try await pg.start()
        // The same port when it is still free; under a busy test run another
        // process may have taken it meanwhile, and then a new one is fine.
        if again != url {
            #expect(again == url.replacingOccurrences(of: "port=\(port)", with: "port=\(Self.port(of: again))"), "\(again)")
            #expect(Self.portTaken(port), "restarted on another port although \(port) is free: \(again)")
        }
        let reopened = PostgresAlertStore(url: again)
        #expect(try await reopened.countAlerts() == 3)
        await reopened.close()
        try await pg.stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    static func port(of url: String) -> Int {
        url.split(separator: "&").first { $0.hasPrefix("port=") }.flatMap { Int($0.dropFirst(5)) } ?? -1
    }

    /// True when something already listens on 127.0.0.1:`port`.
    static func portTaken(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        return r != 0
    }
}
