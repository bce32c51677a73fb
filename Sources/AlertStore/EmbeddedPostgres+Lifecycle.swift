import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension EmbeddedPostgres {
    func startBlocking() throws -> String {
        try prepareDirectory()
        let lock = try FileLock(path: directory + "/.lock")
        defer { lock.release() }

        if !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") { try initdb() }
        if let (_, port) = runningPostmaster() {
            try ensureDatabase(port: port)
            return url(port: port, database: options.database)
        }
        var lastError: PostgresError? = nil
        var tried: Set<Int> = []
        for _ in 0..<3 {
            let port = try choosePort(avoiding: tried)
            tried.insert(port)
            try writeSettings(port: port)
            let (status, output) = try run(options.binDirectory + "/pg_ctl",
                                           ["-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "-s", "start"])
            if status == 0 {
                try String(port).write(toFile: portFile, atomically: true, encoding: .utf8)
                try ensureDatabase(port: port)
                logger?.info("embedded PostgreSQL started", metadata: ["db.directory": "\(directory)", "db.port": "\(port)"])
                return url(port: port, database: options.database)
            }
            let log = logTail()
            lastError = PostgresError(.serverSetupFailed, message: """
                pg_ctl start failed (exit \(status)): \(output.trimmingSpaces())
                last lines of \(logFile):
                \(log)
                """)
            guard log.contains("already in use") || log.contains("could not bind") else { break }
        }
        throw lastError!
    }

    func stopBlocking() throws {
        guard FileManager.default.fileExists(atPath: directory) else { return }
        let lock = try FileLock(path: directory + "/.lock")
        defer { lock.release() }
        guard runningPostmaster() != nil else { return }
        let (status, output) = try run(options.binDirectory + "/pg_ctl",
                                       ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "-s", "stop"])
        guard status == 0 else {
            throw PostgresError(.serverSetupFailed, message: "pg_ctl stop failed (exit \(status)): \(output.trimmingSpaces())")
        }
    }

    /// Creates the directory, hands it to the OS user when root, and makes its ancestors traversable.
    func prepareDirectory() throws {
        let fm = FileManager.default
        guard fm.fileExists(atPath: options.binDirectory + "/initdb") else {
            throw PostgresError(.serverSetupFailed, message: """
                PostgreSQL 15 binaries not found in \(options.binDirectory): install them \
                (apt-get install postgresql-15) or set QIANLIYAN_PG_BIN to the directory holding initdb and pg_ctl
                """)
        }
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        guard let owner = try runAsUser() else { return }
        if chown(directory, owner.uid, owner.gid) != 0 {
            throw PostgresError(.serverSetupFailed, message: "cannot give \(directory) to user \(options.osUser): \(errnoText())")
        }
        chmod(directory, 0o700)
        var path = (directory as NSString).deletingLastPathComponent
        while path != "/" && !path.isEmpty {
            var st = stat()
            if stat(path, &st) == 0 {
                let mode = st.st_mode
                let ok = st.st_uid == owner.uid ? mode & S_IXUSR != 0
                    : st.st_gid == owner.gid ? mode & S_IXGRP != 0 : mode & S_IXOTH != 0
                if !ok {
                    chmod(path, (mode & 0o7777) | S_IXOTH)
                    logger?.notice("made a directory traversable for the PostgreSQL user",
                                   metadata: ["db.path": "\(path)", "db.os_user": "\(options.osUser)"])
                }
            }
            path = (path as NSString).deletingLastPathComponent
        }
    }

    func initdb() throws {
        var args = ["-D", dataDirectory, "-U", EmbeddedPostgres.superuser, "-A", "trust", "-E", "UTF8", "--locale=C"]
        if !options.durable { args.append("--no-sync") }
        let (status, output) = try run(options.binDirectory + "/initdb", args)
        guard status == 0 else {
            throw PostgresError(.serverSetupFailed, message: """
                initdb failed (exit \(status)); remove \(dataDirectory) and try again. Output:
                \(output.trimmingSpaces())
                """)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDirectory + "/postgresql.conf"))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\n# Settings of the embedded Qianliyan cluster (rewritten on every start)\ninclude_if_exists = 'qianliyan.conf'\n".utf8))
        logger?.info("embedded PostgreSQL cluster created", metadata: ["db.directory": "\(directory)"])
    }

    /// Writes `data/qianliyan.conf`: port, sockets and durability.
    func writeSettings(port: Int) throws {
        let tcp = options.listenOnTCP || !socketFits(port: port)
        let socketDir = socketFits(port: port) ? directory : ""
        let durable = options.durable ? "on" : "off"
        let text = """
            # Written by qianliyan on every start of this cluster.
            port = \(port)
            listen_addresses = '\(tcp ? "127.0.0.1" : "")'
            unix_socket_directories = '\(EmbeddedPostgres.configQuoted(socketDir))'
            unix_socket_permissions = 0700
            fsync = \(durable)
            synchronous_commit = \(durable)
            full_page_writes = \(durable)
            max_connections = 200

            """
        try text.write(toFile: dataDirectory + "/qianliyan.conf", atomically: true, encoding: .utf8)
        chmod(dataDirectory + "/qianliyan.conf", 0o644)
    }

    /// The previous port when free, else a free one; any port when only the socket is used.
    func choosePort(avoiding tried: Set<Int>) throws -> Int {
        let previous = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingSpaces()) }
        if let previous, !tried.contains(previous), !options.listenOnTCP || EmbeddedPostgres.isPortFree(previous) {
            return previous
        }
        for _ in 0..<20 {
            let p = try EmbeddedPostgres.freePort()
            if !tried.contains(p) { return p }
        }
        throw PostgresError(.serverSetupFailed, message: "no free TCP port found on 127.0.0.1")
    }

    /// Creates the database unless it exists.
    func ensureDatabase(port: Int) throws {
        let admin = try PostgresConnection(url(port: port, database: "postgres"))
        defer { admin.close() }
        let exists = try admin.execute("SELECT 1 FROM pg_database WHERE datname = $1", params: [options.database]).rows.count > 0
        guard !exists else { return }
        do {
            try admin.executeScript("CREATE DATABASE \(EmbeddedPostgres.identifierQuoted(options.database))")
        } catch let e as PostgresError where e.sqlState == "42P04" {
            // created meanwhile by another process
        }
    }

    /// (pid, port) of a live postmaster from `postmaster.pid`.
    func runningPostmaster() -> (Int32, Int)? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, let pid = Int32(lines[0].trimmingCharacters(in: .whitespaces)), pid > 0,
              let port = Int(lines[3].trimmingCharacters(in: .whitespaces)) else { return nil }
        guard kill(pid, 0) == 0 || errno == EPERM else { return nil }
        return (pid, port)
    }

    func socketFits(port: Int) -> Bool {
        (directory + "/.s.PGSQL.\(port)").utf8.count < 108
    }

    func logTail(lines: Int = 15) -> String {
        guard let text = try? String(contentsOfFile: logFile, encoding: .utf8) else { return "(no log)" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}
