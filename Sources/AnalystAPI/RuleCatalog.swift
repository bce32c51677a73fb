import AlertStore
import Foundation

/// What the server knows of a rule: header fields and source text.
struct RuleInfo: Sendable, Hashable {
    var name: String
    var version: Int?
    var severity: String?
    var titleZH: String?
    var titleEN: String?
    /// The rule's source text (`rule … end`, with its leading comments).
    var source: String?
    /// Where the source came from: a file path or `rule_versions`.
    var origin: String?
}

/// One stored version of a rule (or of the rule set holding it).
struct RuleVersionInfo: Sendable, Hashable {
    var version: String
    var at: String?
    var author: String?
    var message: String?
    var hash: String?
    /// The rule's own source in that version, when it can be found.
    var source: String?
}

/// Rule sources for the rule pages, from the rule files passed with
/// `serve --rules DIR` and, when the table exists, from `rule_versions`
/// (kept by the rule deployer). The table's layout is read generically
/// (`row_to_json`): a row may hold one rule (`rule_id`/`rule`/`name`
/// column) or a whole rule set, whose source is then split into its rules.
struct RuleCatalog: Sendable {
    /// Rules from the directory, by name.
    let files: [String: RuleInfo]

    init(directory: String?) {
        var found: [String: RuleInfo] = [:]
        if let directory {
            for path in RuleCatalog.ruleFiles(in: directory) {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
                for var info in RuleCatalog.parseRules(text) {
                    info.origin = path
                    found[info.name] = info
                }
            }
        }
        files = found
    }

    static func ruleFiles(in directory: String) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: directory) else { return [] }
        var out: [String] = []
        while let p = e.nextObject() as? String {
            if p.hasSuffix(".rule") { out.append(directory + "/" + p) }
        }
        return out.sorted()
    }

    /// Splits rule-language text into its rules (each `rule NAME … end`,
    /// with the comment lines just above it) and reads their header fields.
    static func parseRules(_ text: String) -> [RuleInfo] {
        let lines = text.components(separatedBy: "\n")
        var out: [RuleInfo] = []
        var i = 0
        var pendingComments: [String] = []
        while i < lines.count {
            let line = lines[i]
            let t = line.trimmed
            if t.hasPrefix("#") { pendingComments.append(line); i += 1; continue }
            if t.hasPrefix("rule ") {
                let name = String(t.dropFirst(5)).trimmed.split(separator: " ").first.map(String.init) ?? ""
                var body = pendingComments + [line]
                var info = RuleInfo(name: name)
                i += 1
                while i < lines.count {
                    let l = lines[i]
                    body.append(l)
                    let lt = l.trimmed
                    i += 1
                    if lt == "end" { break }
                    if lt.hasPrefix("version "), info.version == nil { info.version = Int(String(lt.dropFirst(8)).trimmed) }
                    if lt.hasPrefix("severity "), info.severity == nil { info.severity = String(lt.dropFirst(9)).trimmed }
                    if lt.hasPrefix("title "), info.titleZH == nil {
                        let quoted = quotedStrings(String(lt.dropFirst(6)))
                        info.titleZH = quoted.first
                        if quoted.count > 1 { info.titleEN = quoted[1] }
                    }
                }
                info.source = body.joined(separator: "\n")
                out.append(info)
                pendingComments = []
                continue
            }
            if !t.isEmpty { pendingComments = [] }
            i += 1
        }
        return out
    }

    static func quotedStrings(_ s: String) -> [String] {
        var out: [String] = []
        var cur: String? = nil
        var escape = false
        for ch in s {
            if var c = cur {
                if escape { c.append(ch); escape = false; cur = c; continue }
                if ch == "\\" { escape = true; continue }
                if ch == "\"" { out.append(c); cur = nil; continue }
                c.append(ch)
                cur = c
            } else if ch == "\"" {
                cur = ""
            }
        }
        return out
    }

    /// Stored versions of `rule`, newest first, from `rule_versions` when it exists.
    static func storedVersions(of rule: String, connection c: PostgresConnection) throws -> [RuleVersionInfo] {
        guard try c.execute("SELECT to_regclass('rule_versions') IS NOT NULL").scalar == "t" else { return [] }
        let rows = try c.execute("SELECT row_to_json(r)::text FROM rule_versions r LIMIT 2000").rows
        var out: [RuleVersionInfo] = []
        for r in rows {
            guard let text = r[0], let row = JSONValue.parse(text) else { continue }
            func pick(_ names: [String]) -> String? {
                for n in names { if let v = row[n]?.scalarText, !v.isEmpty { return v } }
                return nil
            }
            let ruleName = pick(["rule_id", "rule", "rule_name", "name"])
            var source = pick(["source", "source_text", "text", "rules", "content"])
            if let n = ruleName, n != rule { continue }
            if ruleName == nil {
                // A rule-set version: keep it only when its source holds the rule.
                guard let s = source, let mine = parseRules(s).first(where: { $0.name == rule }) else { continue }
                source = mine.source
            }
            out.append(RuleVersionInfo(
                version: pick(["version", "rule_version", "set_version", "id"]) ?? "?",
                at: pick(["created_at", "deployed_at", "at", "stored_at"]),
                author: pick(["author", "created_by", "deployed_by"]),
                message: pick(["message", "comment", "description"]),
                hash: pick(["hash", "sha256", "source_hash"]),
                source: source))
        }
        return out.sorted { (Int($0.version) ?? 0, $0.at ?? "") > (Int($1.version) ?? 0, $1.at ?? "") }
    }
}
