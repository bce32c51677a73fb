import EventModel

/// A person known to the generator. Only `listed` people appear in `people.csv`.
struct Person: Sendable {
    var id: [UInt8]
    var name: [UInt8]
    /// Index of the home village, or -1 for people from elsewhere.
    var village: Int
    var role: Role
    var relatives: [[UInt8]]
    var listed: Bool
    var male: Bool
}

enum Role: UInt8, Sendable {
    case secretary, director, committeeMember, accountant, supervisor, villager

    var csvName: String {
        switch self {
        case .secretary: "secretary"
        case .director: "director"
        case .committeeMember: "committee_member"
        case .accountant: "accountant"
        case .supervisor: "supervisor"
        case .villager: "villager"
        }
    }
}

struct Vendor: Sendable {
    var id: [UInt8]
    var name: [UInt8]
    var legalRep: [UInt8]
    var shareholders: [[UInt8]]
    var kind: VendorKind
    /// Home district index, or -1 for province-wide firms.
    var district: Int
}

/// How a village's limits are listed in `village_limits.csv`.
enum LimitClass: UInt8, Sendable {
    /// Not listed: defaults 10000 / 50000.
    case unlisted
    /// Listed with the default values.
    case listedDefault
    /// 5000 / 30000
    case low
    /// 20000 / 100000
    case high
}

struct Village: Sendable {
    var code: UInt64
    var codeBytes: [UInt8]
    var district: Int
    var township: Int
    /// Relative activity (mean 1).
    var size: Double
    var limitClass: LimitClass
    var approvalLimit: Int64
    var decisionLimit: Int64
    var secretary = 0
    var director = 0
    var accountant = 0
    var supervisor = 0
    var cadres: [Int] = []
    var villagers: [Int] = []
    /// Villagers that are not relatives of the village's cadres.
    var plainVillagers: [Int] = []
    /// Who gets reimbursed (clerks, mostly not cadres).
    var staff: [Int] = []
    /// Labour pool: villagers and workers from elsewhere.
    var workers: [Int] = []
    var finance = 0, procurement = 0, labor = 0, attendance = 0, lease = 0, seal = 0
    var seals: [[UInt8]] = []
}

/// Everything the generator invents before the first event: places, people,
/// vendors, prices and limits. Built from its own random stream.
struct World: Sendable {
    var villages: [Village] = []
    var districtNames: [String] = []
    var districtCodes: [Int] = []
    var people: [Person] = []
    var vendors: [Vendor] = []
    /// Vendor indices per district and kind, with Zipf weights (a few vendors get most of the business).
    var vendorPools: [[[Int]]] = []
    var vendorWeights: [[[Double]]] = []
    /// Province-wide firms (construction and services), Zipf-weighted.
    var bigFirms: [Int] = []
    var bigFirmWeights: [Double] = []
    /// Government bodies that pay subsidies into villages, per district.
    var governmentPayers: [[UInt8]] = []
    var villagesByDistrict: [[Int]] = []
    /// Resident ids handed out (region·date·sequence packed), to keep them unique.
    private var usedResidentIDs: Set<UInt64> = []
    private var usedCodes: Set<[UInt8]> = []
    let startDay: Int64

    init(config: GeneratorConfig) {
        startDay = config.startDay
        var rng = SplitMix64(seed: config.seed, stream: 1)
        buildGeography(config.villages, &rng)
        for v in villages.indices { populate(v, &rng) }
        linkRelatives(&rng)
        buildVendors(&rng)
    }

    // MARK: geography

    private mutating func buildGeography(_ n: Int, _ rng: inout SplitMix64) {
        var made = 0
        var d = 0
        // Start from a seed-dependent district so that different seeds look different.
        let offset = rng.int(Geography.districts.count)
        while made < n {
            let (dcode, dname) = Geography.district(d < Geography.districts.count ? (d + offset) % Geography.districts.count : d)
            districtCodes.append(dcode)
            districtNames.append(dname)
            let townships = rng.int(6, 16)
            var streetNo = 1, townNo = 1, xiangNo = 1
            for _ in 0..<townships where made < n {
                // 0xx sub-districts, 1xx towns, 2xx townships.
                let kind = rng.int(10)
                let tcode: Int
                if kind < 2 { tcode = streetNo; streetNo += 1 } else if kind < 8 { tcode = 100 + townNo; townNo += 1 } else { tcode = 200 + xiangNo; xiangNo += 1 }
                let township = dcode * 1000 + tcode
                let count = min(n - made, rng.int(8, 26))
                var communityNo = 1, villageNo = 200 + rng.int(0, 3)
                for _ in 0..<count {
                    let vcode: Int
                    if rng.chance(0.15) { vcode = communityNo; communityNo += 1 } else { vcode = villageNo; villageNo += rng.chance(0.2) ? 2 : 1 }
                    let code = UInt64(township * 1000 + vcode)
                    var w = LineWriter(); w.uint(code, width: 12)
                    let size = max(0.3, rng.logNormal(mu: -0.08, sigma: 0.4))
                    villages.append(Village(code: code, codeBytes: w.bytes, district: districtCodes.count - 1, township: township,
                                            size: size, limitClass: .unlisted, approvalLimit: 10_000_00, decisionLimit: 50_000_00))
                    made += 1
                }
            }
            d += 1
        }
        // Limits: most villages use the defaults; poorer ones a lower line, richer ones a higher one.
        for i in villages.indices {
            let u = rng.uniform()
            villages[i].limitClass = u < 0.15 ? .low : u < 0.23 ? .high : u < 0.30 ? .listedDefault : .unlisted
        }
        if n >= 2 && !villages.contains(where: { $0.limitClass == .low }) { villages[n - 1].limitClass = .low }
        if n >= 3 && !villages.contains(where: { $0.limitClass == .high }) { villages[n - 2].limitClass = .high }
        if n >= 4 && !villages.contains(where: { $0.limitClass == .unlisted }) { villages[0].limitClass = .unlisted }
        for i in villages.indices {
            switch villages[i].limitClass {
            case .low: villages[i].approvalLimit = 5_000_00; villages[i].decisionLimit = 30_000_00
            case .high: villages[i].approvalLimit = 20_000_00; villages[i].decisionLimit = 100_000_00
            default: break
            }
            // Which upstream systems the village uses.
            villages[i].finance = rng.weighted(World.financeWeights)
            villages[i].procurement = rng.chance(0.6) ? Systems.procurementSun : Systems.procurementGateway
            villages[i].labor = Systems.laborRealName
            villages[i].attendance = rng.chance(0.5) ? Systems.laborRealName : Systems.laborTerminal
            villages[i].lease = rng.chance(0.65) ? Systems.leaseTrade : Systems.leaseLite
            villages[i].seal = rng.chance(0.55) ? Systems.sealCloud : Systems.sealIoT
            let sealCount = rng.int(2, 4)
            for s in 0..<sealCount {
                var w = LineWriter()
                w.raw("YZ-"); w.uint(villages[i].code % 1_000_000, width: 6); w.raw("-"); w.uint(UInt64(s + 1))
                villages[i].seals.append(w.bytes)
            }
        }
    }

    static let financeWeights = Weights.cumulative([0.45, 0.35, 0.20])

    // MARK: people

    /// A new resident id, unique among those handed out. Sequences 900–999 are
    /// reserved for the injected cases.
    mutating func newResidentID(region: Int, male: Bool, minAge: Int, maxAge: Int, reserved: Bool = false, _ rng: inout SplitMix64) -> [UInt8] {
        while true {
            let age = rng.int(minAge, maxAge)
            let birth = startDay - Int64(age) * 365 - Int64(rng.int(0, 364))
            var seq = reserved ? rng.int(900, 998) : rng.int(1, 898)
            if (seq % 2 == 1) != male { seq += 1 }
            let key = UInt64(region) << 40 | UInt64(birth + 100_000) << 12 | UInt64(seq)
            if usedResidentIDs.insert(key).inserted {
                return Identity.residentID(region: region, birthDay: birth, sequence: seq)
            }
        }
    }

    @discardableResult
    mutating func addPerson(village: Int, role: Role, listed: Bool, region: Int? = nil, minAge: Int = 22, maxAge: Int = 78,
                            reserved: Bool = false, _ rng: inout SplitMix64) -> Int {
        let male = role == .villager ? rng.chance(0.5) : rng.chance(0.75)
        let reg = region ?? (village >= 0 ? districtCodes[villages[village].district] : Geography.outsideRegions[rng.int(Geography.outsideRegions.count)])
        let id = newResidentID(region: reg, male: male, minAge: minAge, maxAge: maxAge, reserved: reserved, &rng)
        people.append(Person(id: id, name: Identity.personName(male: male, rng: &rng), village: village, role: role, relatives: [], listed: listed, male: male))
        return people.count - 1
    }

    private mutating func populate(_ v: Int, _ rng: inout SplitMix64) {
        var vil = villages[v]
        vil.secretary = addPerson(village: v, role: .secretary, listed: true, minAge: 35, maxAge: 62, &rng)
        vil.director = addPerson(village: v, role: .director, listed: true, minAge: 32, maxAge: 62, &rng)
        vil.cadres = [vil.secretary, vil.director]
        for _ in 0..<rng.int(2, 4) { vil.cadres.append(addPerson(village: v, role: .committeeMember, listed: true, minAge: 28, maxAge: 65, &rng)) }
        vil.accountant = addPerson(village: v, role: .accountant, listed: true, minAge: 26, maxAge: 60, &rng)
        vil.supervisor = addPerson(village: v, role: .supervisor, listed: true, minAge: 35, maxAge: 68, &rng)
        vil.cadres += [vil.accountant, vil.supervisor]
        let villagers = Int(40 + vil.size * 60)
        for _ in 0..<villagers { vil.villagers.append(addPerson(village: v, role: .villager, listed: true, minAge: 18, maxAge: 90, &rng)) }
        // Clerks who are reimbursed: two or three villagers plus the accountant and the director now and then.
        vil.staff = Array(vil.villagers.prefix(rng.int(2, 3)))
        // Labour pool: villagers of working age and some migrant workers.
        vil.workers = Array(vil.villagers[(vil.staff.count)...].prefix(Int(12 + vil.size * 18)))
        for _ in 0..<Int(4 + vil.size * 8) { vil.workers.append(addPerson(village: -1, role: .villager, listed: false, minAge: 20, maxAge: 58, &rng)) }
        villages[v] = vil
    }

    /// Cadres' relatives: villagers of the same village (listed by either side),
    /// people of a neighbouring village, and people absent from `people.csv`.
    private mutating func linkRelatives(_ rng: inout SplitMix64) {
        for v in villages.indices {
            var related = Set<Int>()
            for c in villages[v].cadres {
                for _ in 0..<rng.int(0, 3) {
                    let u = rng.uniform()
                    if u < 0.55 {
                        let r = villages[v].villagers[rng.int(villages[v].villagers.count)]
                        related.insert(r)
                        if rng.chance(0.6) { people[c].relatives.append(people[r].id) } else { people[r].relatives.append(people[c].id) }
                    } else if u < 0.75 && villages.count > 1 {
                        let w = (v + 1 + rng.int(villages.count - 1)) % villages.count
                        people[c].relatives.append(people[villages[w].villagers[rng.int(villages[w].villagers.count)]].id)
                    } else {
                        let r = addPerson(village: -1, role: .villager, listed: false, region: districtCodes[villages[v].district], minAge: 18, maxAge: 60, &rng)
                        people[c].relatives.append(people[r].id)
                    }
                }
            }
            villages[v].plainVillagers = villages[v].villagers.filter { !related.contains($0) }
            if villages[v].plainVillagers.isEmpty { villages[v].plainVillagers = villages[v].villagers }
            // Clerks who are reimbursed are not the cadres' kin (mostly: that is what R10 looks for).
            villages[v].staff = Array(villages[v].plainVillagers.prefix(villages[v].staff.count))
        }
        // Ordinary family ties among villagers (not cadres): they matter only two hops away.
        for v in villages.indices {
            let vs = villages[v].villagers
            for _ in 0..<(vs.count / 6) {
                let a = vs[rng.int(vs.count)], b = vs[rng.int(vs.count)]
                if a != b { people[a].relatives.append(people[b].id) }
            }
        }
    }

    // MARK: vendors

    mutating func newCode(_ prefix: StaticString, region: Int, _ rng: inout SplitMix64, digitsOnly: Bool = false) -> [UInt8] {
        while true {
            let c = Identity.creditCode(prefix: prefix, region: region, rng: &rng, digitsOnly: digitsOnly)
            if usedCodes.insert(c).inserted { return c }
        }
    }

    private mutating func person(forVendorIn district: Int, _ rng: inout SplitMix64) -> [UInt8] {
        let u = rng.uniform()
        let inDistrict = villagesByDistrict[district]
        if u < 0.04 {
            let v = inDistrict[rng.int(inDistrict.count)]
            // A cadre, or a cadre's relative: the conflicts of interest R10 looks for.
            let c = villages[v].cadres[rng.int(villages[v].cadres.count)]
            if rng.chance(0.5) || people[c].relatives.isEmpty { return people[c].id }
            return people[c].relatives[rng.int(people[c].relatives.count)]
        }
        if u < 0.14 {
            let v = inDistrict[rng.int(inDistrict.count)]
            return people[villages[v].plainVillagers[rng.int(villages[v].plainVillagers.count)]].id
        }
        let p = addPerson(village: -1, role: .villager, listed: false, region: districtCodes[district], minAge: 28, maxAge: 66, &rng)
        return people[p].id
    }

    private mutating func makeVendor(district: Int, home: Int, kind wanted: VendorKind?, _ rng: inout SplitMix64) -> Int {
        var (suffix, kind) = Identity.industries[rng.int(Identity.industries.count)]
        if let wanted {
            let options = Identity.industries.filter { $0.1 == wanted }
            (suffix, kind) = options[rng.int(options.count)]
        }
        let region = districtCodes[home]
        let prefix: StaticString = suffix.hasSuffix("合作社") ? "93" : (suffix.hasSuffix("店") || suffix.hasSuffix("商行") || suffix.hasSuffix("经营部") || suffix.hasSuffix("农家乐")) ? "92" : "91"
        let id = newCode(prefix, region: region, &rng)
        let place = String(districtNames[home].prefix(2))
        let name = place + Identity.tradeNames[rng.int(Identity.tradeNames.count)] + suffix
        let rep = person(forVendorIn: home, &rng)
        var holders: [[UInt8]] = []
        if prefix.description == "91" {
            for _ in 0..<rng.int(0, 3) { holders.append(person(forVendorIn: home, &rng)) }
        }
        vendors.append(Vendor(id: id, name: Array(name.utf8), legalRep: rep, shareholders: holders, kind: kind, district: district))
        return vendors.count - 1
    }

    static let kinds: [VendorKind] = [.construction, .materials, .agri, .office, .labor, .hospitality, .services]

    private mutating func buildVendors(_ rng: inout SplitMix64) {
        villagesByDistrict = Array(repeating: [], count: districtCodes.count)
        for v in villages.indices { villagesByDistrict[villages[v].district].append(v) }
        for d in districtCodes.indices {
            let villagesHere = villagesByDistrict[d].count
            var pools: [[Int]] = Array(repeating: [], count: World.kinds.count)
            for (k, kind) in World.kinds.enumerated() {
                let n = max(3, min(60, Int(Double(villagesHere) * (kind == .hospitality || kind == .office ? 0.8 : 0.5)) + rng.int(2, 6)))
                for _ in 0..<n { pools[k].append(makeVendor(district: d, home: d, kind: kind, &rng)) }
            }
            vendorPools.append(pools)
            vendorWeights.append(pools.map { Weights.zipf($0.count, exponent: 1.1) })
            governmentPayers.append(newCode("11", region: districtCodes[d], &rng, digitsOnly: true))
        }
        let big = 8 + villages.count / 60
        for _ in 0..<big {
            let home = rng.int(districtCodes.count)
            bigFirms.append(makeVendor(district: -1, home: home, kind: rng.chance(0.7) ? .construction : .services, &rng))
        }
        bigFirmWeights = Weights.zipf(bigFirms.count, exponent: 1.3)
    }

    /// A villager not related to the village's cadres.
    @inline(__always)
    func plainVillager(_ v: Int, _ rng: inout SplitMix64) -> Int {
        villages[v].plainVillagers[rng.int(villages[v].plainVillagers.count)]
    }

    /// Any villager.
    @inline(__always)
    func villager(_ v: Int, _ rng: inout SplitMix64) -> Int {
        villages[v].villagers[rng.int(villages[v].villagers.count)]
    }

    /// A vendor of the kind for a village: mostly from its district, heavy-tailed.
    func vendor(_ kind: VendorKind, village v: Int, _ rng: inout SplitMix64) -> Int {
        let d = villages[v].district
        if (kind == .construction || kind == .services) && rng.chance(0.12) {
            return bigFirms[rng.weighted(bigFirmWeights)]
        }
        let k = Int(kind.rawValue)
        return vendorPools[d][k][rng.weighted(vendorWeights[d][k])]
    }
}

