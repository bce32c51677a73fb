import EventModel

extension World {
    /// The four reference tables with exactly the columns of EVENTS.md.
    func referenceCSVs() -> [String: String] {
        ["people.csv": peopleCSV(), "vendors.csv": vendorsCSV(), "reference_prices.csv": pricesCSV(), "village_limits.csv": limitsCSV()]
    }

    static func field(_ b: [UInt8]) -> String {
        let s = String(decoding: b, as: UTF8.self)
        if s.contains(",") || s.contains("\"") || s.contains("\n") {
            return "\"" + s.replacingOccurrences("\"", "\"\"") + "\""
        }
        return s
    }

    func peopleCSV() -> String {
        var rows: [(Int, Int, UInt64, Int)] = []
        for (i, p) in people.enumerated() where p.listed {
            rows.append((p.village, p.role == .villager ? 1 : 0, SplitMix64.mix(UInt64(i) ^ 0x5EED), i))
        }
        rows.sort { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        var s = "person_id,name,village,role,relatives\n"
        for (_, _, _, i) in rows {
            let p = people[i]
            s += World.field(p.id) + "," + World.field(p.name) + "," + String(decoding: villages[p.village].codeBytes, as: UTF8.self) + ","
                + p.role.csvName + "," + p.relatives.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ";") + "\n"
        }
        return s
    }

    func vendorsCSV() -> String {
        let order = vendors.indices.sorted { SplitMix64.mix(UInt64($0) ^ 0xF00D) < SplitMix64.mix(UInt64($1) ^ 0xF00D) }
        var s = "vendor_id,name,legal_rep_id,shareholder_ids\n"
        for i in order {
            let v = vendors[i]
            s += World.field(v.id) + "," + World.field(v.name) + "," + World.field(v.legalRep) + ","
                + v.shareholders.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ";") + "\n"
        }
        return s
    }

    func pricesCSV() -> String {
        var s = "item_category,unit_price\n"
        for item in Catalog.items {
            guard let p = item.reference else { continue }
            s += item.name.description + "," + Money.format(fen: p) + "\n"
        }
        for (name, p) in Catalog.caseOnlyItems { s += name.description + "," + Money.format(fen: p) + "\n" }
        return s
    }

    func limitsCSV() -> String {
        var s = "village,approval_limit,decision_limit\n"
        for v in villages where v.limitClass != .unlisted {
            let h = SplitMix64.mix(v.code)
            let a = h & 1 == 0 ? String(v.approvalLimit / 100) : Money.format(fen: v.approvalLimit)
            let d = h & 2 == 0 ? Money.format(fen: v.decisionLimit) : String(v.decisionLimit / 100)
            s += String(decoding: v.codeBytes, as: UTF8.self) + "," + a + "," + d + "\n"
        }
        return s
    }
}

extension String {
    /// `replacingOccurrences(of:with:)` without Foundation.
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[rest.startIndex..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        guard !target.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(target) { return i..<index(i, offsetBy: target.count) }
            i = index(after: i)
        }
        return nil
    }
}
