import EventModel

/// How a system forms its event ids. Every habit yields ids of
/// `A-Za-z0-9._:-`, at most 64 characters, unique per (village, counter).
enum IDHabit: UInt8, Sendable {
    /// `CW330523101201` + 8 digits
    case cw
    /// `FIN-330523101201-20230314-` + 6 digits
    case finDated
    /// a lower-case UUID-like `8-4-4-4-12` hex id
    case uuid
    /// `cg:330523101201:` + counter
    case cgColon
    /// `YG330523101201-` + 6 digits
    case ygDash
    /// `LW.330523101201.` + 7 digits
    case lwDot
    /// `KQ-330523101201-20230314-` + 6 digits
    case kqDated
    /// `zc-330523101201-` + 6 digits
    case zcDash
    /// `ZL:330523101201:` + counter
    case zlColon
    /// `YZ_330523101201_` + 7 digits
    case yzUnderscore
    /// `SEAL-` + 16 hex digits
    case sealHex

    /// The first counter value of injected cases; background counters stay below it.
    var caseCounterBase: UInt64 {
        switch self {
        case .cw: 90_000_000
        case .finDated, .ygDash, .zcDash, .kqDated: 900_000
        case .lwDot, .yzUnderscore: 9_000_000
        case .cgColon, .zlColon: 900_000
        case .uuid, .sealHex: 1 << 29
        }
    }
}

/// Unknown extra members a system adds (ignored by the contract).
enum ExtraHabit: UInt8, Sendable {
    case none
    /// `"op": "I"`
    case opFlag
    /// `"ext": {"tenant": "330523", "ver": "3.2.1"}`
    case extObject
    /// `"device": {"sn": "...", "fw": "1.4.2", "battery": 87}`
    case device
    /// `"synced_at": "<later timestamp>"`
    case syncedAt
    /// `"tags": [], "remark": null`
    case tagsRemark
}

/// An upstream system: its name and its data habits.
struct SourceSystem: Sendable {
    let name: StaticString
    /// Probability that the optional `source` member is sent.
    let sendsSource: Double
    let idHabit: IDHabit
    /// Up to two time habits: the first with probability `timeP`.
    let time0: TimeHabit
    let time1: TimeHabit
    let timeP: Double
    /// Up to two money habits: the first with probability `moneyP`.
    let money0: MoneyHabit
    let money1: MoneyHabit
    let moneyP: Double
    let compact: Bool
    let asciiEscape: Bool
    /// Member order B: `type, event_id, village, occurred_at, …, source`.
    let orderB: Bool
    /// Probability of a `trace_id` member.
    let traceID: Double
    let extra: ExtraHabit

    /// The time habit for 20 bits of a style hash.
    @inline(__always)
    func time(_ bits: UInt64) -> TimeHabit { Double(bits & 0xFFFFF) * 0x1p-20 < timeP ? time0 : time1 }

    /// The money habit for 20 bits of a style hash.
    @inline(__always)
    func money(_ bits: UInt64) -> MoneyHabit { Double(bits & 0xFFFFF) * 0x1p-20 < moneyP ? money0 : money1 }

    init(_ name: StaticString, source: Double, id: IDHabit, times: [(TimeHabit, Double)], money: [(MoneyHabit, Double)],
         compact: Bool = false, asciiEscape: Bool = false, orderB: Bool = false, trace: Double = 0, extra: ExtraHabit = .none) {
        self.name = name
        sendsSource = source
        idHabit = id
        time0 = times[0].0
        time1 = times.count > 1 ? times[1].0 : times[0].0
        timeP = times.count > 1 ? times[0].1 / (times[0].1 + times[1].1) : 1
        money0 = money[0].0
        money1 = money.count > 1 ? money[1].0 : money[0].0
        moneyP = money.count > 1 ? money[0].1 / (money[0].1 + money[1].1) : 1
        self.compact = compact
        self.asciiEscape = asciiEscape
        self.orderB = orderB
        traceID = trace
        self.extra = extra
    }
}

/// The upstream systems of the province, by domain.
enum Systems {
    static let financeSanzi = 0, financeAgent = 1, financeCloud = 2
    static let procurementSun = 3, procurementGateway = 4
    static let laborRealName = 5, laborTerminal = 6
    static let leaseTrade = 7, leaseLite = 8
    static let sealCloud = 9, sealIoT = 10

    static let all: [SourceSystem] = [
        SourceSystem("农村集体三资监管平台", source: 0.9, id: .cw, times: [(.localSeconds, 1)],
                     money: [(.numberMinimal, 0.7), (.stringFixed2, 0.3)], trace: 0.2),
        SourceSystem("dljz-agent", source: 0.95, id: .finDated, times: [(.localMillis, 0.85), (.localSeconds, 0.15)],
                     money: [(.stringFixed2, 0.8), (.numberFixed2, 0.2)], compact: true, orderB: true, extra: .opFlag),
        SourceSystem("三资云", source: 0.8, id: .uuid, times: [(.utcSeconds, 0.5), (.zeroOffsetSeconds, 0.5)],
                     money: [(.numberMinimal, 0.9), (.stringMinimal, 0.1)], compact: true, asciiEscape: true, trace: 0.5, extra: .extObject),
        SourceSystem("阳光村务采购平台", source: 0.9, id: .cgColon, times: [(.localMillis, 0.7), (.localSeconds, 0.3)],
                     money: [(.numberMinimal, 0.6), (.stringFixed2, 0.4)], trace: 0.3),
        SourceSystem("cg-gateway", source: 1, id: .ygDash, times: [(.utcSeconds, 0.8), (.utcMillis, 0.2)],
                     money: [(.stringMinimal, 1)], compact: true, orderB: true, extra: .syncedAt),
        SourceSystem("农民工工资实名制平台", source: 0.85, id: .lwDot, times: [(.localSeconds, 1)],
                     money: [(.numberMinimal, 1)]),
        SourceSystem("kq-terminal", source: 0.7, id: .kqDated, times: [(.utcMillis, 1)],
                     money: [(.numberMinimal, 1)], compact: true, trace: 0.6, extra: .device),
        SourceSystem("农村产权交易平台", source: 0.9, id: .zcDash, times: [(.localSeconds, 1)],
                     money: [(.numberFixed2, 0.5), (.numberMinimal, 0.5)], extra: .tagsRemark),
        SourceSystem("zclease", source: 0.9, id: .zlColon, times: [(.zeroOffsetSeconds, 1)],
                     money: [(.stringFixed2, 1)], compact: true, orderB: true),
        SourceSystem("智慧印章云", source: 0.9, id: .yzUnderscore, times: [(.localMillis, 0.6), (.localSeconds, 0.4)],
                     money: [(.numberMinimal, 1)], trace: 0.3),
        SourceSystem("seal-iot-gw", source: 0.75, id: .sealHex, times: [(.utcMicros, 0.6), (.utcMillis, 0.4)],
                     money: [(.numberMinimal, 1)], compact: true, extra: .device),
    ]

    static let count = all.count
}

extension EventType {
    /// The wire name as a static string (no allocation).
    var staticName: StaticString {
        switch self {
        case .financePayment: "finance.payment"
        case .financeReceipt: "finance.receipt"
        case .procurementRequest: "procurement.request"
        case .procurementApproval: "procurement.approval"
        case .procurementQuote: "procurement.quote"
        case .procurementContract: "procurement.contract"
        case .procurementAcceptance: "procurement.acceptance"
        case .laborAttendance: "labor.attendance"
        case .laborWage: "labor.wage"
        case .leaseContract: "lease.contract"
        case .leaseRentDue: "lease.rent_due"
        case .leaseRenewed: "lease.renewed"
        case .leaseTerminated: "lease.terminated"
        case .sealApplication: "seal.application"
        case .sealApproval: "seal.approval"
        case .sealUsage: "seal.usage"
        }
    }
}
