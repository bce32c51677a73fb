import EventModel
import Testing

@Suite struct ReferenceTablesTests {
    @Test func csvQuotesAndLineNumbers() throws {
        let t = try CSVTable(parsing: "a,b\n\"x, y\",\"he said \"\"hi\"\"\"\r\n\nz,\n")
        #expect(t.header == ["a", "b"])
        #expect(t.rows == [["x, y", "he said \"hi\""], ["z", ""]])
        #expect(t.lineNumbers == [2, 4])
    }

    @Test func cadreLinksInBothDirectionsAndThroughVendors() throws {
        let people = try CSVTable(parsing: """
        person_id,name,village,role,relatives
        C1,张三,330521101202,secretary,R1
        P2,李四,330521101202,villager,C1
        C9,王五,330521101203,committee_member,
        """)
        let vendors = try CSVTable(parsing: "vendor_id,name,legal_rep_id,shareholder_ids\nV1,公司,P2,\nV2,公司2,Z,R1;Q\n")
        let t = try ReferenceTables(people: people, vendors: vendors, referencePrices: nil, villageLimits: nil)
        let v = VillageCode("330521101202")!
        #expect(t.cadreLink(Fingerprint("C1"), village: v)?.kind == .cadre)
        #expect(t.cadreLink(Fingerprint("R1"), village: v)?.kind == .relative)
        #expect(t.cadreLink(Fingerprint("P2"), village: v)?.kind == .relative)
        #expect(t.cadreLink(Fingerprint("V1"), village: v)?.kind == .vendorLegalRep)
        #expect(t.cadreLink(Fingerprint("V2"), village: v)?.kind == .vendorShareholder)
        #expect(t.cadreLink(Fingerprint("C9"), village: v) == nil)
        #expect(t.cadreLink(Fingerprint("C9"), village: VillageCode("330521101203")!)?.kind == .cadre)
        // Only the people the links name are kept: the cadres, and P2 through whom V1 is linked.
        #expect(Set(t.people.keys) == ["C1", "C9", "P2"])
        let viaP2 = try #require(t.cadreLink(Fingerprint("V1"), village: v))
        #expect(t.describe(viaP2, chinese: true) == "收款单位的法定代表人 李四是村干部 张三（党组织书记） 的亲属")
        // Every kind of path, in both languages.
        let paths: [(String, String, String, String)] = [
            ("C1", "330521101202", "收款人本人是村干部 张三（党组织书记）", "payee is the cadre 张三（secretary）"),
            ("R1", "330521101202", "收款人是村干部 张三（党组织书记） 的亲属", "payee is a relative of the cadre 张三（secretary）"),
            ("V1", "330521101202", "收款单位的法定代表人 李四是村干部 张三（党组织书记） 的亲属",
             "the payee's legal representative 李四 is a relative of the cadre 张三（secretary）"),
            ("V2", "330521101202", "收款单位的股东是村干部 张三（党组织书记） 的亲属", "the payee's shareholder is a relative of the cadre 张三（secretary）"),
            ("C9", "330521101203", "收款人本人是村干部 王五（村委委员）", "payee is the cadre 王五（committee member）"),
        ]
        for (payee, village, zh, en) in paths {
            let link = try #require(t.cadreLink(Fingerprint(payee), village: VillageCode(village)!))
            #expect(t.describe(link, chinese: true) == zh)
            #expect(t.describe(link, chinese: false) == en)
        }
    }

    @Test func relativesListsSplitOnSemicolonsAndRepeatedPeopleMerge() throws {
        // Spaces around items and empty items are dropped; a person listed twice keeps
        // the first row's name and role and gains the relatives only the second lists;
        // a ';' that carries a combining mark (U+0301) is part of its item, no separator.
        let people = try CSVTable(parsing: "person_id,name,village,role,relatives\n"
            + "C1,张三,330521101202,secretary, R1 ;;R2;\n"
            + "C1,别名,330521101202,villager,R2;R3\n"
            + "C2,王五,330521101203,director,X;\u{301}Y\n")
        let t = try ReferenceTables(people: people, vendors: nil, referencePrices: nil, villageLimits: nil)
        let v = VillageCode("330521101202")!
        for r in ["R1", "R2", "R3"] { #expect(t.cadreLink(Fingerprint(r), village: v)?.kind == .relative, "\(r)") }
        #expect(t.people["C1"]?.name == "张三" && t.people["C1"]?.relatives == ["R1", "R2", "R3"])
        let w = VillageCode("330521101203")!
        #expect(t.cadreLink(Fingerprint("X;\u{301}Y"), village: w)?.kind == .relative)
        #expect(t.cadreLink(Fingerprint("X"), village: w) == nil)
    }

    @Test func villageCodesAreExactlyTwelveASCIIDigits() {
        #expect(VillageCode("330521101202")?.value == 330_521_101_202)
        #expect(VillageCode("000000000000")?.value == 0)
        for bad in ["", "33052110120", "3305211012023", "33052110120a", "3305211 1202", "３30521101202", "33052110120/", "33052110120:"] {
            #expect(VillageCode(bad) == nil, "\(bad)")
        }
    }

    @Test func villageLimitsDefaultAndBadRows() throws {
        let l = try CSVTable(parsing: "village,approval_limit,decision_limit\n330521101204,5000,30000.00\n")
        let t = try ReferenceTables(people: nil, vendors: nil, referencePrices: nil, villageLimits: l)
        #expect(t.approvalLimit(VillageCode("330521101204")!) == 500_000)
        #expect(t.decisionLimit(VillageCode("330521101204")!) == 3_000_000)
        #expect(t.approvalLimit(VillageCode("330521101299")!) == 1_000_000)
        let bad = try CSVTable(parsing: "village,approval_limit,decision_limit\n3305,5000,30000\n")
        #expect(throws: ReferenceTables.LoadError.self) { try ReferenceTables(people: nil, vendors: nil, referencePrices: nil, villageLimits: bad) }
        let badRole = try CSVTable(parsing: "person_id,name,village,role,relatives\nA,x,330521101204,Secretary,\n")
        #expect(throws: ReferenceTables.LoadError.self) { try ReferenceTables(people: badRole, vendors: nil, referencePrices: nil, villageLimits: nil) }
    }
}
