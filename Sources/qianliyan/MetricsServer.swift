import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.0 responder for Prometheus scrapes of `/metrics`: one
/// thread, one request per connection, nothing else served.
final class MetricsServer: @unchecked Sendable {
    private let fd: Int32
    private let body: @Sendable () -> String
    // `stopped` is only set once, from deinit.
    private var stopped = false

    struct BindError: Error, CustomStringConvertible {
        var description: String
    }

    init(address: String, body: @escaping @Sendable () -> String) throws {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw BindError(description: "metrics address must be HOST:PORT, got \(address)") }
        self.body = body
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, String(parts[0]) == "localhost" ? "127.0.0.1" : String(parts[0]), &addr.sin_addr) == 1 else {
            close(fd)
            throw BindError(description: "not an IPv4 address: \(parts[0])")
        }
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw BindError(description: "cannot listen on \(address): \(String(cString: strerror(errno)))")
        }
        let t = Thread { [self] in self.serve() }
        t.start()
    }

    deinit {
        stopped = true
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func serve() {
        while !stopped {
            let c = accept(fd, nil, nil)
            if c < 0 { if stopped { return }; continue }
            var buf = [UInt8](repeating: 0, count: 2048)
            let n = read(c, &buf, buf.count)
            let request = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : ""
            let ok = request.hasPrefix("GET /metrics")
            let payload = ok ? body() : "not found: try /metrics\n"
            let head = "HTTP/1.0 \(ok ? "200 OK" : "404 Not Found")\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: \(payload.utf8.count)\r\nConnection: close\r\n\r\n"
            let out = Array((head + payload).utf8)
            _ = out.withUnsafeBytes { write(c, $0.baseAddress, $0.count) }
            close(c)
        }
    }
}
