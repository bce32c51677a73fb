import EventModel

/// A `.cases` file: example events for a rule and the alerts they must and
/// must not give.
///
/// ```
/// rule split-payments
/// defaults {"village": "330521101202", "approver_id": "A1", "category": "other"}
/// table village_limits
/// village,approval_limit,decision_limit
/// 330521101202,10000,50000
/// end
///
/// case "three payments reaching the limit fire at the third"
///   event {"event_id": "p1", "type": "finance.payment", …}
///   expect fire p3
///   expect nofire p1 p2
/// end
/// ```
public struct CaseFile: Sendable {
    public var path: String
    public var rule: String?
    public var defaults: String?
    public var tables: [String: String] = [:]
    public var cases: [Case] = []

    public struct Case: Sendable {
        public var name: String
        public var line: Int
        public var rule: String?
        public var events: [(line: Int, json: String)] = []
        public var tables: [String: String] = [:]
        public var expectations: [Expectation] = []
    }

    public struct Expectation: Sendable {
        public enum Kind: String, Sendable { case fire, nofire, alerts, deadLetters = "deadletters" }
        public var kind: Kind
        public var ids: [String]
        public var rule: String?
        public var line: Int
    }

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var line: Int
        public var message: String
        public var description: String { "\(path):\(line): error: \(message)" }
    }

    public init(path: String, text: String) throws(ParseError) {
        self.path = path
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
        var i = 0
        var current: Case? = nil
        func fail(_ m: String) -> ParseError { ParseError(path: path, line: i + 1, message: m) }
        while i < lines.count {
            let raw = lines[i]
            let line = raw.trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { i += 1; continue }
            let (word, rest) = CaseFile.split(line)
            switch word {
            case "rule":
                if current != nil { current!.rule = rest } else { rule = rest }
            case "defaults":
                guard rest.hasPrefix("{") && rest.hasSuffix("}") else { throw fail("defaults must be a JSON object on one line") }
                defaults = rest
            case "table":
                let name = rest
                guard ["people", "vendors", "reference_prices", "village_limits"].contains(name) else {
                    throw fail("unknown table '\(name)' (people, vendors, reference_prices, village_limits)")
                }
                var body: [String] = []
                i += 1
                while i < lines.count && lines[i].trimmingCharacters(in: " \t\r") != "end" {
                    body.append(lines[i].trimmingCharacters(in: " \t\r"))
                    i += 1
                }
                guard i < lines.count else { throw fail("table '\(name)' has no 'end'") }
                let csv = body.filter { !$0.isEmpty }.joined(separator: "\n") + "\n"
                if current != nil { current!.tables[name] = csv } else { tables[name] = csv }
            case "case":
                if current != nil { throw fail("'case' inside a case: the previous case has no 'end'") }
                var name = rest
                if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = String(name.dropFirst().dropLast()) }
                current = Case(name: name, line: i + 1)
            case "event":
                guard current != nil else { throw fail("'event' outside a case") }
                guard rest.hasPrefix("{") else { throw fail("event must be a JSON object on one line") }
                current!.events.append((i + 1, rest))
            case "expect":
                guard current != nil else { throw fail("'expect' outside a case") }
                var (kindWord, args) = CaseFile.split(rest)
                var ruleName: String? = nil
                if kindWord == "no" { kindWord = "alerts"; args = "" }
                guard let kind = Expectation.Kind(rawValue: kindWord) else {
                    throw fail("expect what? use: expect fire ID…, expect nofire ID…, expect alerts ID… (exact set), expect no alerts, expect deadletters N")
                }
                var ids = args.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
                if let r = ids.firstIndex(of: "rule"), r + 1 < ids.count {
                    ruleName = ids[r + 1]
                    ids.removeSubrange(r...(r + 1))
                }
                if kind == .alerts, ids == ["none"] { ids = [] }
                if (kind == .fire || kind == .nofire) && ids.isEmpty { throw fail("expect \(kindWord) needs at least one event id") }
                current!.expectations.append(Expectation(kind: kind, ids: ids, rule: ruleName, line: i + 1))
            case "end":
                guard let c = current else { throw fail("'end' without 'case'") }
                if c.expectations.isEmpty { throw ParseError(path: path, line: c.line, message: "case '\(c.name)' expects nothing") }
                cases.append(c)
                current = nil
            default:
                throw fail("unknown line; expected rule, defaults, table, case, event, expect or end")
            }
            i += 1
        }
        if let c = current { throw ParseError(path: path, line: c.line, message: "case '\(c.name)' has no 'end'") }
    }

    static func split(_ s: String) -> (String, String) {
        guard let sp = s.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return (s, "") }
        return (String(s[..<sp]), String(s[sp...]).trimmingCharacters(in: " \t"))
    }

    /// An event's JSON with the file's defaults merged in (the event's own fields win).
    public func merged(_ json: String) -> String {
        guard let d = defaults else { return json }
        let inner = String(d.dropFirst().dropLast()).trimmingCharacters(in: " ")
        let ev = String(json.dropFirst()).trimmingCharacters(in: " ")
        if inner.isEmpty { return json }
        return "{" + inner + (ev.hasPrefix("}") ? "" : ", ") + ev
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
