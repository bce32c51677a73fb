import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension EmbeddedPostgres {
    /// The OS user to run PostgreSQL commands as: nil when we are not root.
    func runAsUser() throws -> (uid: uid_t, gid: gid_t)? {
        guard geteuid() == 0 else { return nil }
        guard let pw = getpwnam(options.osUser) else {
            throw PostgresError(.serverSetupFailed, message: """
                running as root needs the OS user '\(options.osUser)' to own the cluster (PostgreSQL refuses root): \
                install postgresql-15 (which creates it) or run as a normal user
                """)
        }
        return (pw.pointee.pw_uid, pw.pointee.pw_gid)
    }

    /// Runs a PostgreSQL binary (as the OS user when root); returns its exit
    /// status and combined output.
    func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        var argv = [executable] + arguments
        if try runAsUser() != nil { argv = [EmbeddedPostgres.runuser, "-u", options.osUser, "--"] + argv }
        let outPath = FileManager.default.temporaryDirectory.path + "/qianliyan-pg-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).out"
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        var env = ProcessInfo.processInfo.environment
        for k in ["PGDATA", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGOPTIONS"] { env[k] = nil }
        env["LC_ALL"] = "C"
        let pid = try Subprocess.spawn(argv, output: outPath, directory: directory, environment: env)
        let status = Subprocess.wait(pid)
        let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        return (status, text)
    }

    /// Spawns a watchdog that stops the cluster (immediate shutdown) once
    /// process `pid` has exited, and then deletes ``directory`` if asked —
    /// for test suites, whose process may end in any way.
    public func stopWhenProcessExits(pid: Int32 = getpid(), removeDirectory: Bool) throws {
        var stop = [options.binDirectory + "/pg_ctl", "-D", dataDirectory, "-m", "immediate", "-w", "stop"]
        if try runAsUser() != nil { stop = [EmbeddedPostgres.runuser, "-u", options.osUser, "--"] + stop }
        var script = "while kill -0 \(pid) 2>/dev/null; do sleep 1; done; "
        script += stop.map(EmbeddedPostgres.shellQuoted).joined(separator: " ") + " >/dev/null 2>&1"
        if removeDirectory { script += "; rm -rf " + EmbeddedPostgres.shellQuoted(directory) }
        _ = try Subprocess.spawn(["/bin/sh", "-c", script], output: nil, directory: "/",
                                 environment: ProcessInfo.processInfo.environment)
    }

    static var runuser: String {
        ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? "runuser"
    }

    /// Runs blocking work on a global dispatch queue, off the cooperative pool.
    static func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async { c.resume(with: Result { try work() }) }
        }
    }

    /// A TCP port on 127.0.0.1 that nobody listens on right now.
    static func freePort() throws -> Int {
        let port: Int? = withLoopbackSocket(port: 0) { fd in
            var addr = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
            }
            return ok == 0 ? Int(UInt16(bigEndian: addr.sin_port)) : nil
        } ?? nil
        guard let port else {
            throw PostgresError(.serverSetupFailed, message: "cannot bind a socket on 127.0.0.1: \(errnoText())")
        }
        return port
    }

    static func isPortFree(_ port: Int) -> Bool {
        withLoopbackSocket(port: port) { _ in true } == true
    }

    /// Binds a TCP socket to 127.0.0.1:`port`, calls `body`, closes it; nil when binding fails.
    static func withLoopbackSocket<T>(port: Int, _ body: (Int32) throws -> T) rethrows -> T? {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else { return nil }
        return try body(fd)
    }

    static func absolute(_ path: String) -> String {
        var p = path
        if p.hasPrefix("~/") { p = NSHomeDirectory() + p.dropFirst() }
        if !p.hasPrefix("/") { p = FileManager.default.currentDirectoryPath + "/" + p }
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return (p as NSString).standardizingPath
    }

    static func percentEncoded(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    static func shellQuoted(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func configQuoted(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''")
    }

    static func identifierQuoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// An exclusive `flock` on a file, held until `release()`: one start or
/// stop of a cluster at a time, across processes.
struct FileLock {
    let fd: Int32

    init(path: String) throws {
        fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PostgresError(.serverSetupFailed, message: "cannot open \(path): \(errnoText())") }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { close(fd); throw PostgresError(.serverSetupFailed, message: "cannot lock \(path): \(errnoText())") }
        }
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

func errnoText() -> String {
    String(cString: strerror(errno))
}
