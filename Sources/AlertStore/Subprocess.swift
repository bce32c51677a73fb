#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `posix_spawn` and `waitpid`, for the embedded server's commands.
///
/// Foundation's `Process` is not used here: on Linux it learns that a child
/// exited when every copy of a socket it hands to the child is closed, and
/// `pg_ctl start` leaves a copy in the server it daemonises, so waiting for
/// `pg_ctl` would never end. Here the child gets stdin from /dev/null,
/// stdout and stderr into `output` (or /dev/null), and no other descriptor.
enum Subprocess {
    /// Starts `argv` (argv[0] is a path); returns its pid.
    static func spawn(_ argv: [String], output: String?, directory: String, environment: [String: String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        if let closeFrom = Subprocess.addCloseFrom { _ = closeFrom(&actions, 3) }
        if let chdir = Subprocess.addChdir { _ = chdir(&actions, directory) }
        let env = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let rc = withCStringArray(argv) { a in
            withCStringArray(env) { e in posix_spawn(&pid, argv[0], &actions, nil, a, e) }
        }
        guard rc == 0 else {
            throw PostgresError(.serverSetupFailed, message: "cannot run \(argv[0]): \(String(cString: strerror(rc)))")
        }
        return pid
    }

    /// Waits for `pid`; its exit status, or 128 + the signal that ended it.
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    // GNU extensions (glibc ≥ 2.34), which Swift's Glibc module does not
    // import; looked up at run time.
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    static let addCloseFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")

    static func symbol<F>(_ name: String) -> F? {
        guard let p = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(p, to: F.self)
    }

    static func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
