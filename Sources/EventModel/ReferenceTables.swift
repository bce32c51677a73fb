/// The four reference tables of EVENTS.md, with the lookups the rules need,
/// precomputed so that each lookup on the hot path is one hash probe.
public struct ReferenceTables: Sendable {
    public struct Person: Sendable, Hashable {
        public var id: String
        public var name: String
        public var village: VillageCode?
        public var role: String
        public var relatives: [String]
        public var isCadre: Bool { role != "villager" }
    }

    public struct Vendor: Sendable, Hashable {
        public var id: String
        public var name: String
        public var legalRepID: String
        public var shareholderIDs: [String]
    }

    /// Why a payee is linked to a cadre of a village (RULES.md R10).
    public struct CadreLink: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable {
            /// The payee is a cadre of the village.
            case cadre
            /// The payee is a relative of a cadre of the village.
            case relative
            /// The payee is a vendor whose legal representative is (related to) a cadre.
            case vendorLegalRep = "vendor_legal_rep"
            /// The payee is a vendor with a shareholder who is (related to) a cadre.
            case vendorShareholder = "vendor_shareholder"
        }
        public var kind: Kind
        /// The cadre at the end of the path.
        public var cadreID: String
        /// For vendor links: the person in the vendor (legal rep or shareholder).
        public var viaPersonID: String?
        /// For vendor links: whether that person is the cadre or a relative of the cadre.
        public var viaIsRelative: Bool
    }

    /// The tables live in one immutable-after-load object, so copying a
    /// `ReferenceTables` (every evaluator holds one) costs one retain.
    final class Storage: @unchecked Sendable {
        // Mutated only while the enclosing `ReferenceTables` is being built; read-only afterwards.
        var people: [String: Person] = [:]
        var vendors: [String: Vendor] = [:]
        var referencePrices: [String: Int64] = [:]
        var villageLimits: [VillageCode: (approval: Int64, decision: Int64)] = [:]
        var priceByCategory: [Fingerprint: Int64] = [:]
        var links: [LinkKey: CadreLink] = [:]
    }

    private var storage = Storage()

    /// The people the lookups name: cadres, and the people through whom a
    /// vendor is linked to one. The rest of `people.csv` serves only to build
    /// the links and is not kept (a province's villagers are most of the
    /// table: 70 MB of the 10 M-event benchmark's memory).
    public var people: [String: Person] { storage.people }
    public var vendors: [String: Vendor] { storage.vendors }
    public var referencePrices: [String: Int64] { storage.referencePrices }
    /// village → (approval_limit, decision_limit) in fen.
    public var villageLimits: [VillageCode: (approval: Int64, decision: Int64)] { storage.villageLimits }

    public static let defaultApprovalLimit: Int64 = 10_000_00
    public static let defaultDecisionLimit: Int64 = 50_000_00

    // Hot-path indexes.

    struct LinkKey: Hashable, Sendable {
        var village: UInt64
        var person: Fingerprint
        func hash(into hasher: inout Hasher) { hasher.combine(village); hasher.combine(person.lo) }
        func _rawHashValue(seed: Int) -> Int { Fingerprint.tableHash(person.lo ^ (village &* 0x9E37_79B9_7F4A_7C15), seed: seed) }
    }

    public init() {}

    /// Problems found while loading: which table, which line, what.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var table: String
        public var line: Int
        public var message: String
        public var description: String { "\(table).csv:\(line): \(message)" }
    }

    /// Builds the tables from parsed CSV documents (any may be nil: empty table).
    public init(people p: CSVTable?, vendors v: CSVTable?, referencePrices r: CSVTable?, villageLimits l: CSVTable?) throws(LoadError) {
        if let p {
            let cols = try ReferenceTables.columns(p, "people", ["person_id", "name", "village", "role", "relatives"])
            storage.people.reserveCapacity(p.rows.count)
            for (i, row) in p.rows.enumerated() {
                let line = p.lineNumbers[i]
                let get = { (c: Int) -> String in c < row.count ? row[c].trimmingSpaces() : "" }
                let id = get(cols[0])
                guard !id.isEmpty else { throw LoadError(table: "people", line: line, message: "empty person_id") }
                let role = get(cols[3])
                guard FieldCatalog.roles.contains(role) else {
                    throw LoadError(table: "people", line: line, message: "role '\(role)' is not one of \(FieldCatalog.roles.joined(separator: ", "))")
                }
                let vs = get(cols[2])
                let village = VillageCode(vs)
                if village == nil && !vs.isEmpty { throw LoadError(table: "people", line: line, message: "village must be 12 digits") }
                let rel = ReferenceTables.list(get(cols[4]))
                // One hash of the id for a new person (the usual case); a repeated
                // id keeps its first row and gains the relatives it did not list.
                if var existing = storage.people.updateValue(Person(id: id, name: get(cols[1]), village: village, role: role, relatives: rel),
                                                             forKey: id) {
                    existing.relatives += rel.filter { !existing.relatives.contains($0) }
                    storage.people[id] = existing
                }
            }
        }
        if let v {
            let cols = try ReferenceTables.columns(v, "vendors", ["vendor_id", "name", "legal_rep_id", "shareholder_ids"])
            storage.vendors.reserveCapacity(v.rows.count)
            for (i, row) in v.rows.enumerated() {
                let get = { (c: Int) -> String in c < row.count ? row[c].trimmingSpaces() : "" }
                let id = get(cols[0])
                guard !id.isEmpty else { throw LoadError(table: "vendors", line: v.lineNumbers[i], message: "empty vendor_id") }
                storage.vendors[id] = Vendor(id: id, name: get(cols[1]), legalRepID: get(cols[2]), shareholderIDs: ReferenceTables.list(get(cols[3])))
            }
        }
        if let r {
            let cols = try ReferenceTables.columns(r, "reference_prices", ["item_category", "unit_price"])
            for (i, row) in r.rows.enumerated() {
                let get = { (c: Int) -> String in c < row.count ? row[c].trimmingSpaces() : "" }
                let cat = get(cols[0])
                guard let fen = ReferenceTables.money(get(cols[1])) else {
                    throw LoadError(table: "reference_prices", line: r.lineNumbers[i], message: "unit_price is not an amount")
                }
                storage.referencePrices[cat] = fen
            }
        }
        if let l {
            let cols = try ReferenceTables.columns(l, "village_limits", ["village", "approval_limit", "decision_limit"])
            for (i, row) in l.rows.enumerated() {
                let get = { (c: Int) -> String in c < row.count ? row[c].trimmingSpaces() : "" }
                let line = l.lineNumbers[i]
                guard let village = VillageCode(get(cols[0])) else {
                    throw LoadError(table: "village_limits", line: line, message: "village must be 12 digits")
                }
                let a = get(cols[1]), d = get(cols[2])
                let ap = a.isEmpty ? ReferenceTables.defaultApprovalLimit : ReferenceTables.money(a)
                let de = d.isEmpty ? ReferenceTables.defaultDecisionLimit : ReferenceTables.money(d)
                guard let ap, let de else {
                    throw LoadError(table: "village_limits", line: line, message: "limits must be amounts")
                }
                storage.villageLimits[village] = (ap, de)
            }
        }
        rebuildIndexes()
    }

    static func columns(_ t: CSVTable, _ table: String, _ names: [String]) throws(LoadError) -> [Int] {
        var out: [Int] = []
        for n in names {
            guard let c = t.column(n) else {
                throw LoadError(table: table, line: 1, message: "missing column '\(n)' (header: \(t.header.joined(separator: ",")))")
            }
            out.append(c)
        }
        return out
    }

    static func list(_ s: String) -> [String] {
        if s.isEmpty { return [] }
        // ASCII (ids are): split the bytes. Otherwise by characters, where a
        // ';' followed by a combining mark is no separator.
        var text = s
        let ascii: [String]? = text.withUTF8 { b in
            guard !b.contains(where: { $0 >= 0x80 }) else { return nil }
            var items: [String] = []
            var start = 0
            for i in 0...b.count where i == b.count || b[i] == UInt8(ascii: ";") {
                let item = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self).trimmingSpaces()
                if !item.isEmpty { items.append(item) }
                start = i + 1
            }
            return items
        }
        return ascii ?? s.split(separator: ";").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
    }

    static func money(_ s: String) -> Int64? {
        var t = s
        return t.withUTF8 { buf in
            if case .success(let f) = Money.parseString(buf) { return f }
            return nil
        }
    }

    private mutating func rebuildIndexes() {
        storage.priceByCategory = [:]
        for (c, p) in storage.referencePrices { storage.priceByCategory[Fingerprint(c)] = p }
        storage.links = [:]
        // Who is related to a cadre (one hop, either direction): only cadres'
        // relatives are asked for, so only theirs are collected.
        let cadres = storage.people.values.filter(\.isCadre)
        var relativesOf: [String: Set<String>] = [:]
        for c in cadres { relativesOf[c.id] = [] }
        for p in storage.people.values {
            for r in p.relatives where r != p.id {
                if p.isCadre { relativesOf[p.id]!.insert(r) }
                if relativesOf[r] != nil { relativesOf[r]!.insert(p.id) }
            }
        }
        // S(V): cadres of V and their relatives.
        var personLinks: [String: [(VillageCode, CadreLink)]] = [:]
        // In id order (which link a person gets depends on it); only cadres are
        // sorted: sorting everyone by id was a fifth of loading a 200 k-row table.
        for c in cadres.sorted(by: { $0.id < $1.id }) {
            guard let v = c.village else { continue }
            setLink(v, c.id, CadreLink(kind: .cadre, cadreID: c.id, viaPersonID: nil, viaIsRelative: false), &personLinks)
            for r in (relativesOf[c.id] ?? []).sorted() {
                setLink(v, r, CadreLink(kind: .relative, cadreID: c.id, viaPersonID: nil, viaIsRelative: false), &personLinks)
            }
        }
        // Vendors whose legal representative or a shareholder is in S(V).
        // Vendors in id order, those with a person in S(V) only (the others add no link).
        let linked = storage.vendors.values.filter { v in
            personLinks[v.legalRepID] != nil || v.shareholderIDs.contains { personLinks[$0] != nil }
        }
        for vendor in linked.sorted(by: { $0.id < $1.id }) {
            for (person, kind) in [(vendor.legalRepID, CadreLink.Kind.vendorLegalRep)] + vendor.shareholderIDs.map({ ($0, CadreLink.Kind.vendorShareholder) }) {
                for (v, link) in personLinks[person] ?? [] {
                    let key = LinkKey(village: v.value, person: Fingerprint(vendor.id))
                    if storage.links[key] == nil {
                        storage.links[key] = CadreLink(kind: kind, cadreID: link.cadreID, viaPersonID: person, viaIsRelative: link.kind == .relative)
                    }
                }
            }
        }
        var named: Set<String> = []
        for link in storage.links.values {
            named.insert(link.cadreID)
            if let via = link.viaPersonID { named.insert(via) }
        }
        var kept: [String: Person] = [:]
        kept.reserveCapacity(named.count)
        for id in named { if let p = storage.people[id] { kept[id] = p } }
        storage.people = kept
    }

    private mutating func setLink(_ v: VillageCode, _ person: String, _ link: CadreLink, _ personLinks: inout [String: [(VillageCode, CadreLink)]]) {
        let key = LinkKey(village: v.value, person: Fingerprint(person))
        if let existing = storage.links[key], existing.kind == .cadre || link.kind != .cadre { return }
        storage.links[key] = link
        // One lookup of the person, the list changed in place.
        func replace(_ list: inout [(VillageCode, CadreLink)]) {
            list.removeAll { $0.0 == v }
            list.append((v, link))
        }
        replace(&personLinks[person, default: []])
    }

    // MARK: lookups

    /// The approval limit of a village in fen (default ¥10,000).

    public func approvalLimit(_ v: VillageCode) -> Int64 { limits(v).approval }
    /// The collective-decision limit of a village in fen (default ¥50,000).

    public func decisionLimit(_ v: VillageCode) -> Int64 { limits(v).decision }


    func limits(_ v: VillageCode) -> (approval: Int64, decision: Int64) {
        storage.villageLimits[v] ?? (ReferenceTables.defaultApprovalLimit, ReferenceTables.defaultDecisionLimit)
    }

    /// The reference unit price (fen) of an item category, by fingerprint.
    public func referencePrice(_ category: Fingerprint) -> Int64? { storage.priceByCategory[category] }

    /// How a person or vendor (by fingerprint of its id) is linked to a cadre of `village`, if at all.
    public func cadreLink(_ payee: Fingerprint, village: VillageCode) -> CadreLink? {
        storage.links[LinkKey(village: village.value, person: payee)]
    }

    /// The path of a link in words, e.g. `收款人是村干部 张三（党组织书记） 的亲属`.
    /// Written into bytes and made a `String` once (`TextBytes`): string
    /// interpolation made a string per part, ≈ 5,600 instructions a
    /// description of every cadre-link alert (`Benchmarks/instructions`).
    public func describe(_ link: CadreLink, chinese: Bool) -> String {
        var out = TextBytes(capacity: 96)
        func cadre() {
            if let c = storage.people[link.cadreID] {
                out.append(c.name)
                out.append("（")
                if chinese { out.append(ReferenceTables.chineseRoleName(c.role)) } else { out.append(englishRole: c.role) }
                out.append("）")
            } else {
                out.append(link.cadreID)
            }
        }
        switch link.kind {
        case .cadre:
            out.append(chinese ? "收款人本人是村干部 " : "payee is the cadre ")
            cadre()
        case .relative:
            out.append(chinese ? "收款人是村干部 " : "payee is a relative of the cadre ")
            cadre()
            if chinese { out.append(" 的亲属") }
        case .vendorLegalRep, .vendorShareholder:
            let legalRep = link.kind == .vendorLegalRep
            let via = link.viaPersonID.flatMap { storage.people[$0]?.name } ?? ""
            if chinese {
                out.append("收款单位的")
                out.append(legalRep ? "法定代表人" : "股东")
                if !via.isEmpty { out.append(" "); out.append(via) }
                out.append("是村干部 ")
                cadre()
                if link.viaIsRelative { out.append(" 的亲属") }
            } else {
                out.append("the payee's ")
                out.append(legalRep ? "legal representative" : "shareholder")
                if !via.isEmpty { out.append(" "); out.append(via) }
                out.append(link.viaIsRelative ? " is a relative of the cadre " : " is the cadre ")
                cadre()
            }
        }
        return out.string
    }

    static func chineseRoleName(_ role: String) -> StaticString {
        switch role {
        case "secretary": return "党组织书记"
        case "director": return "村委会主任"
        case "committee_member": return "村委委员"
        case "accountant": return "报账员"
        case "supervisor": return "监委会主任"
        default: return "村民"
        }
    }
}

extension TextBytes {
    /// A role name as English words (`committee_member` → `committee member`).
    fileprivate mutating func append(englishRole role: String) {
        var r = role
        r.withUTF8 { for b in $0 { bytes.append(b == UInt8(ascii: "_") ? UInt8(ascii: " ") : b) } }
    }
}
