import EventModel

/// The rhythm of village life: weekdays, holidays, the Spring Festival lull,
/// spring procurement, harvest-season labour and year-end subsidies.
enum Seasons {
    /// Spring Festival (lunar new year's day), 1992–2060.
    static let springFestival: [(Int, Int, Int)] = [
        (1992, 2, 4), (1993, 1, 23), (1994, 2, 10), (1995, 1, 31), (1996, 2, 19), (1997, 2, 7), (1998, 1, 28),
        (1999, 2, 16), (2000, 2, 5), (2001, 1, 24), (2002, 2, 12), (2003, 2, 1), (2004, 1, 22), (2005, 2, 9),
        (2006, 1, 29), (2007, 2, 18), (2008, 2, 7), (2009, 1, 26), (2010, 2, 14), (2011, 2, 3), (2012, 1, 23),
        (2013, 2, 10), (2014, 1, 31), (2015, 2, 19), (2016, 2, 8), (2017, 1, 28), (2018, 2, 16), (2019, 2, 5),
        (2020, 1, 25), (2021, 2, 12), (2022, 2, 1), (2023, 1, 22), (2024, 2, 10), (2025, 1, 29), (2026, 2, 17),
        (2027, 2, 6), (2028, 1, 26), (2029, 2, 13), (2030, 2, 3), (2031, 1, 23), (2032, 2, 11), (2033, 1, 31),
        (2034, 2, 19), (2035, 2, 8), (2036, 1, 28), (2037, 2, 15), (2038, 2, 4), (2039, 1, 24), (2040, 2, 12),
        (2041, 2, 1), (2042, 1, 22), (2043, 2, 10), (2044, 1, 30), (2045, 2, 17), (2046, 2, 6), (2047, 1, 26),
        (2048, 2, 14), (2049, 2, 2), (2050, 1, 23), (2051, 2, 11), (2052, 2, 1), (2053, 2, 19), (2054, 2, 8),
        (2055, 1, 28), (2056, 2, 15), (2057, 2, 4), (2058, 1, 24), (2059, 2, 12), (2060, 2, 2),
    ]

    /// Days from the nearest Spring Festival (negative before it).
    static func daysFromSpringFestival(_ day: Int64) -> Int64 {
        let (y, _, _) = CivilDate.date(fromDays: day)
        var best = Int64.max
        for (yy, m, d) in springFestival where yy >= y - 1 && yy <= y + 1 {
            let delta = day - CivilDate.days(year: yy, month: m, day: d)
            if abs(delta) < abs(best) { best = delta }
        }
        if best == .max {
            // Beyond the table: about February 5.
            best = day - CivilDate.days(year: y, month: 2, day: 5)
        }
        return best
    }

    /// 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
    static func weekday(_ day: Int64) -> Int { Int(((day % 7) + 7 + 3) % 7) }

    /// The processes whose intensity follows the calendar.
    enum Process: Int, CaseIterable {
        case office, subsidy, procurement, labor, seal, lease, receipt
    }

    /// Raw intensity of a process on a day (normalised later to mean 1).
    static func raw(_ p: Process, _ day: Int64) -> Double {
        let (_, m, d) = CivilDate.date(fromDays: day)
        let wd = weekday(day)
        let sf = daysFromSpringFestival(day)
        var f = wd < 5 ? 1.0 : (wd == 5 ? 0.4 : 0.25)
        // Spring Festival: a rush before, a lull around it.
        if sf >= -4 && sf <= 7 { f *= 0.12 } else if sf >= -20 && sf < -4 { f *= 1.1 }
        // National Day week and May Day.
        if m == 10 && d <= 7 { f *= 0.2 }
        if m == 5 && d <= 3 { f *= 0.3 }
        switch p {
        case .office, .seal, .receipt, .lease:
            break
        case .subsidy:
            // Year-end and pre-festival hardship payments; spring farmland subsidies.
            if (m == 12 && d >= 10) || (m == 1 && d <= 25) || (sf >= -25 && sf < -4) { f *= 4 } else if m == 4 || m == 5 { f *= 2 } else { f *= 0.5 }
        case .procurement:
            switch m {
            case 3, 4, 5: f *= 1.9
            case 9, 10, 11: f *= 1.25
            case 12: f *= 1.1
            case 1, 2: f *= 0.5
            case 7, 8: f *= 0.75
            default: break
            }
        case .labor:
            let md = m * 100 + d
            if md >= 915 && md <= 1110 { f *= 2.1 } else if md >= 315 && md <= 515 { f *= 1.5 } else if m == 1 || m == 2 { f *= 0.3 } else if m == 7 || m == 8 { f *= 0.8 }
        }
        return f
    }

    /// Intensity tables over the ledger's days, each with mean 1.
    static func tables(startDay: Int64, days: Int) -> [[Double]] {
        Process.allCases.map { p in
            var t = (0..<days).map { raw(p, startDay + Int64($0)) }
            let mean = t.reduce(0, +) / Double(max(1, days))
            if mean > 0 { for i in t.indices { t[i] /= mean } }
            return t
        }
    }
}
