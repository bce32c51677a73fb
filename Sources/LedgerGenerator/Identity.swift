/// Realistic identifiers: 18-character resident ID numbers (GB 11643) and
/// unified social credit codes (GB 32100), with their real check characters,
/// and Chinese personal names.
enum Identity {
    // MARK: resident ID numbers

    static let idWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let idCheck: [UInt8] = Array("10X98765432".utf8)

    /// `region`(6) + birth date(8) + sequence(3) + check. Odd sequences are men.
    static func residentID(region: Int, birthDay: Int64, sequence: Int) -> [UInt8] {
        var w = LineWriter()

        w.uint(UInt64(region), width: 6)
        w.compactDate(birthDay)
        w.uint(UInt64(sequence), width: 3)
        var sum = 0
        for (i, c) in w.bytes.enumerated() { sum += Int(c - 48) * idWeights[i] }
        w.byte(idCheck[sum % 11])
        return w.bytes
    }

    // MARK: unified social credit codes

    static let codeAlphabet: [UInt8] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY".utf8)
    static let codeWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    static let orgWeights = [3, 7, 9, 10, 5, 8, 4, 2]

    /// `prefix`(2, e.g. "91" company, "92" sole trader, "93" farmers' cooperative,
    /// "11" government body) + region(6) + organisation code(9) + check.
    static func creditCode(prefix: StaticString, region: Int, rng: inout SplitMix64, digitsOnly: Bool = false) -> [UInt8] {
        var out: [UInt8] = Array(UnsafeBufferPointer(start: prefix.utf8Start, count: 2))
        var w = LineWriter()

        w.uint(UInt64(region), width: 6)
        out += w.bytes
        var org: [UInt8] = []
        if digitsOnly {
            org.append(48)
            for _ in 0..<7 { org.append(48 + UInt8(rng.int(10))) }
        } else {
            org += [UInt8(ascii: "M"), UInt8(ascii: "A")]
            for _ in 0..<6 { org.append(codeAlphabet[rng.int(codeAlphabet.count)]) }
        }
        var s = 0
        for (i, c) in org.enumerated() {
            let v = c <= 57 ? Int(c - 48) : Int(c - 65) + 10
            s += v * orgWeights[i]
        }
        let c9 = 11 - s % 11
        org.append(c9 == 10 ? UInt8(ascii: "X") : c9 == 11 ? 48 : 48 + UInt8(c9))
        out += org
        var sum = 0
        for (i, c) in out.enumerated() {
            sum += codeAlphabet.firstIndex(of: c)! * codeWeights[i]
        }
        let c18 = (31 - sum % 31) % 31
        out.append(codeAlphabet[c18])
        return out
    }

    // MARK: names

    static let surnames: [String] = [
        "王", "陈", "张", "李", "徐", "吴", "周", "沈", "朱", "杨", "金", "黄", "胡", "钱", "蒋", "俞", "叶", "方",
        "刘", "孙", "楼", "章", "郑", "潘", "姚", "赵", "何", "汪", "陆", "许", "施", "费", "宋", "郭", "邵", "丁",
        "严", "顾", "应", "董", "邱", "程", "曹", "卢", "范", "林", "毛", "傅", "马", "谢", "韩", "袁", "戴", "任",
    ]
    static let surnameWeights = Weights.zipf(surnames.count, exponent: 0.9)
    static let maleChars: [String] = [
        "伟", "强", "军", "勇", "杰", "涛", "明", "建", "国", "华", "平", "刚", "斌", "波", "辉", "林", "峰", "海",
        "鑫", "磊", "兵", "松", "德", "福", "荣", "春", "生", "根", "宝", "忠", "良", "永", "新", "志", "文", "金",
        "水", "祥", "浩", "宇", "俊", "晨", "阳", "东", "民", "庆", "法", "桂",
    ]
    static let femaleChars: [String] = [
        "芳", "娟", "敏", "静", "丽", "艳", "霞", "英", "兰", "燕", "萍", "玲", "红", "梅", "琴", "莉", "婷", "雪",
        "芬", "秀", "珍", "凤", "娥", "月", "华", "云", "美", "佳", "慧", "菊", "琳", "洁", "颖", "萱",
    ]

    static func personName(male: Bool, rng: inout SplitMix64) -> [UInt8] {
        var s = surnames[rng.weighted(surnameWeights)]
        let chars = male ? maleChars : femaleChars
        s += rng.pick(chars)
        if rng.chance(0.7) { s += rng.pick(chars) }
        return Array(s.utf8)
    }

    // MARK: vendor names

    static let tradeNames: [String] = [
        "鑫达", "恒通", "宏远", "永盛", "华信", "金泰", "顺发", "兴旺", "瑞丰", "天成", "宏源", "正大", "新力", "盛世",
        "万联", "惠民", "绿源", "德润", "富康", "嘉禾", "裕丰", "聚鑫", "博远", "精诚", "广源", "森海", "立信", "和泰",
    ]
    /// (industry suffix, kind of supply) — the kind steers which payments go to the vendor.
    static let industries: [(String, VendorKind)] = [
        ("建设工程有限公司", .construction), ("市政工程有限公司", .construction), ("水利建设有限公司", .construction),
        ("建材有限公司", .materials), ("建材经营部", .materials), ("五金建材商行", .materials),
        ("农资有限公司", .agri), ("苗木专业合作社", .agri), ("农业开发有限公司", .agri),
        ("办公用品商行", .office), ("文化用品店", .office), ("电脑科技有限公司", .office),
        ("劳务有限公司", .labor), ("人力资源服务有限公司", .labor),
        ("农家乐", .hospitality), ("大酒店", .hospitality), ("餐饮店", .hospitality),
        ("照明工程有限公司", .construction), ("环境卫生服务有限公司", .services), ("物业管理有限公司", .services),
        ("园林绿化有限公司", .agri), ("交通设施有限公司", .construction),
    ]
}

/// What a vendor mainly supplies.
enum VendorKind: UInt8, Sendable {
    case construction, materials, agri, office, labor, hospitality, services
}
