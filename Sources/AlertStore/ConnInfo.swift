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
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
