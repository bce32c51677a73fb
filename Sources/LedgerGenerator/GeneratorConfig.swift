import EventModel

/// What to generate: how many villages and days, from which seed, how busy,
/// and how dirty.
public struct GeneratorConfig: Sendable, Hashable {
    /// Number of villages (≥ 1).
    public var villages: Int
    /// Number of local calendar days (≥ 1).
    public var days: Int
    /// The seed: the same configuration always gives the same bytes.
    public var seed: UInt64
    /// First local day, as days since 1970-01-01 (see `CivilDate.days`).
    public var startDay: Int64
    /// Average background events per village and day (injected cases come on top).
    public var eventsPerVillageDay: Double
    /// Share of lines that are malformed (extra lines inserted before valid ones).
    public var malformedRate: Double
    /// Share of valid lines that are re-sent later, byte for byte.
    public var duplicateRate: Double

    /// Defaults: 2023-01-01, 8 events per village-day, no malformed lines, no duplicates.
    public init(villages: Int, days: Int, seed: UInt64,
                startDay: Int64 = CivilDate.days(year: 2023, month: 1, day: 1),
                eventsPerVillageDay: Double = 8, malformedRate: Double = 0, duplicateRate: Double = 0) {
        self.villages = villages
        self.days = days
        self.seed = seed
        self.startDay = startDay
        self.eventsPerVillageDay = eventsPerVillageDay
        self.malformedRate = malformedRate
        self.duplicateRate = duplicateRate
    }

    /// The first day after the ledger; its local midnight is the ledger's last `occurred_at`.
    public var endDay: Int64 { startDay + Int64(days) }

    /// Problems with the configuration, in words; empty when it is usable.
    public var problems: [String] {
        var out: [String] = []
        if villages < 1 || villages > 100_000 { out.append("--villages must be between 1 and 100000") }
        if days < 1 || days > 3660 { out.append("--days must be between 1 and 3660") }
        if eventsPerVillageDay <= 0 || eventsPerVillageDay > 500 { out.append("--events-per-village-day must be in (0, 500]") }
        if Double(days) * eventsPerVillageDay > 150_000 { out.append("--days × --events-per-village-day must stay below 150000 (per-village id counters)") }
        if !(0...0.5).contains(malformedRate) { out.append("--malformed-rate must be between 0 and 0.5") }
        if !(0...0.5).contains(duplicateRate) { out.append("--duplicate-rate must be between 0 and 0.5") }
        let (y, _, _) = CivilDate.date(fromDays: startDay)
        if y < 1992 || y > 2200 { out.append("--start must be a date between 1992 and 2200 (Asia/Shanghai has used +08:00 without DST since 1992)") }
        return out
    }
}
