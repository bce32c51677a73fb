/// Helpers for libpq connection strings (`key=value …`) and URIs
/// (`postgresql://…`).
public enum ConnInfo {
    /// The connection string with every password replaced by `***`, safe to
    /// log: the userinfo password of a URI, a `password=` query parameter,
    /// and a `password=` keyword of a key/value string.
    public static func redacted(_ conninfo: String) -> String {
        let s = conninfo.trimmingSpaces()
        if s.hasPrefix("postgresql://") || s.hasPrefix("postgres://") {
            return redactedURI(s)
        }
        return redactedKeywords(s)
    }

    /// The passwords a connection string holds (as written and, for URIs,
    /// percent-decoded), longest first; empty when it has none.
    public static func secrets(_ conninfo: String) -> [String] {
        let s = conninfo.trimmingSpaces()
        var found: [String] = []
        if s.hasPrefix("postgresql://") || s.hasPrefix("postgres://") {
            let text = s.dropFirst(s.hasPrefix("postgresql://") ? 13 : 11)
            let authorityEnd = text.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? text.endIndex
            let authority = text[..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                found.append(String(authority[authority.index(after: colon)..<at]))
            }
            if let q = text.firstIndex(of: "?") {
                for p in text[text.index(after: q)...].split(separator: "&") {
                    let kv = p.split(separator: "=", maxSplits: 1)
                    if kv.count == 2, kv[0].lowercased() == "password" { found.append(String(kv[1])) }
                }
            }
            found += found.compactMap { $0.removingPercentEncodingLossy() }
        } else {
            let chars = Array(s)
            var i = 0
            while i < chars.count {
                while i < chars.count, chars[i] == " " || chars[i] == "\t" || chars[i] == "\n" { i += 1 }
                var key = ""
                while i < chars.count, chars[i] != "=", chars[i] != " " { key.append(chars[i]); i += 1 }
                while i < chars.count, chars[i] == " " { i += 1 }
                guard i < chars.count, chars[i] == "=" else { continue }
                i += 1
                while i < chars.count, chars[i] == " " { i += 1 }
                var value = ""
                if i < chars.count, chars[i] == "'" {
                    i += 1
                    while i < chars.count {
                        let c = chars[i]
                        i += 1
                        if c == "\\", i < chars.count { value.append(chars[i]); i += 1; continue }
                        if c == "'" { break }
                        value.append(c)
                    }
                } else {
                    while i < chars.count, chars[i] != " ", chars[i] != "\t", chars[i] != "\n" { value.append(chars[i]); i += 1 }
                }
                if key.lowercased() == "password" { found.append(value) }
            }
        }
        return Array(Set(found.filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }

    /// `message` with every password of `conninfo` replaced by `***` (libpq
    /// quotes parts of a malformed connection string in its errors).
    public static func scrubbed(_ message: String, conninfo: String) -> String {
        var out = message
        for secret in secrets(conninfo) { out = out.replacing(secret, with: "***") }
        return out
    }

    static func redactedURI(_ s: String) -> String {
        let schemeLength = s.hasPrefix("postgresql://") ? 13 : 11
        let scheme = s.prefix(schemeLength)
        let text = s.dropFirst(schemeLength)
        // userinfo: up to the last '@' before the first '/' or '?'
        let authorityEnd = text.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? text.endIndex
        var authority = text[..<authorityEnd]
        let rest = text[authorityEnd...]
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            if let colon = userinfo.firstIndex(of: ":") {
                authority = userinfo[..<colon] + ":***" + authority[at...]
            }
        }
        var out = String(scheme) + String(authority)
        if let q = rest.firstIndex(of: "?") {
            out += String(rest[..<q]) + "?"
            let params = rest[rest.index(after: q)...].split(separator: "&", omittingEmptySubsequences: false)
            out += params.map { p -> String in
                let key = p.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                return key.lowercased() == "password" ? "password=***" : String(p)
            }.joined(separator: "&")
        } else {
            out += String(rest)
        }
        return out
    }

    static func redactedKeywords(_ s: String) -> String {
        // key = value pairs; values may be 'single quoted' with \' and \\ escapes.
        var out = ""
        let chars = Array(s)
        var i = 0
        while i < chars.count {
            // copy whitespace
            while i < chars.count, chars[i] == " " || chars[i] == "\t" || chars[i] == "\n" {
                out.append(chars[i]); i += 1
            }
            var key = ""
            while i < chars.count, chars[i] != "=", chars[i] != " " { key.append(chars[i]); i += 1 }
            out += key
            var spaces = ""
            while i < chars.count, chars[i] == " " { spaces.append(chars[i]); i += 1 }
            guard i < chars.count, chars[i] == "=" else { out += spaces; continue }
            out += spaces + "="
            i += 1
            while i < chars.count, chars[i] == " " { out.append(" "); i += 1 }
            var value = ""
            if i < chars.count, chars[i] == "'" {
                value.append("'"); i += 1
                while i < chars.count {
                    let c = chars[i]
                    value.append(c); i += 1
                    if c == "\\", i < chars.count { value.append(chars[i]); i += 1; continue }
                    if c == "'" { break }
                }
            } else {
                while i < chars.count, chars[i] != " ", chars[i] != "\t", chars[i] != "\n" {
                    value.append(chars[i]); i += 1
                }
            }
            out += key.lowercased() == "password" ? "***" : value
        }
        return out
    }
}

extension String {
    /// Percent-decoded; nil when nothing was encoded or it does not decode.
    func removingPercentEncodingLossy() -> String? {
        guard contains("%") else { return nil }
        var bytes: [UInt8] = []
        let u = Array(utf8)
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "%"), i + 2 < u.count, let h = UInt8(String(decoding: u[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                bytes.append(h); i += 3
            } else {
                bytes.append(u[i]); i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
