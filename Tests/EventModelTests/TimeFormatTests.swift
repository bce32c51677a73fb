import EventModel
import Testing

/// Dates and times as summaries, pages and the API write them, against the
/// string-by-string rendering they replaced.
@Suite struct TimeFormatTests {
    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    static func date(_ days: Int64) -> String {
        let (y, m, d) = CivilDate.date(fromDays: days)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    /// `YYYY-MM-DDTHH:MM:SS` of `t` shifted by `offset` seconds, and the microseconds into its second.
    static func clock(_ t: Instant, offset: Int64) -> (text: String, micros: Int64) {
        let l = t + offset * TimeUnit.second
        let day = ShanghaiTime.floorDiv(l, TimeUnit.day)
        var rem = l - day * TimeUnit.day
        let micros = rem % TimeUnit.second
        rem /= TimeUnit.second
        let h = Int(rem / 3600), m = Int(rem / 60 % 60), s = Int(rem % 60)
        return (date(day) + "T" + pad(h, 2) + ":" + pad(m, 2) + ":" + pad(s, 2), micros)
    }

    static func local(_ t: Instant) -> String {
        let off = ShanghaiTime.offsetSeconds(at: t)
        var (out, micros) = clock(t, offset: off)
        if micros != 0 {
            var f = pad(Int(micros), 6)
            while f.hasSuffix("0") { f.removeLast() }
            out += "." + f
        }
        let oh = Int(off / 3600), om = Int(off / 60 % 60), os = Int(off % 60)
        out += "+" + pad(oh, 2) + ":" + pad(om, 2)
        if os != 0 { out += ":" + pad(os, 2) }
        return out
    }

    static func utc(_ t: Instant) -> String {
        var (out, micros) = clock(t, offset: 0)
        if micros != 0 { out += "." + pad(Int(micros), 6) }
        return out + "Z"
    }

    @Test func examples() {
        #expect(ShanghaiTime.format(0) == "1970-01-01T08:00:00+08:00")
        #expect(ShanghaiTime.formatUTC(1_500_000) == "1970-01-01T00:00:01.500000Z")
        #expect(ShanghaiTime.format(1_500_000) == "1970-01-01T08:00:01.5+08:00")
        #expect(CivilDate.format(days: 19_430) == "2023-03-14")
        #expect(CivilDate.format(month: 2023 * 12 + 2) == "2023-03")
        #expect(CivilDate.format(days: -719_162) == "0001-01-01")
    }

    @Test func instantsFromYearOneToTheFarFutureAsBefore() {
        var t: Instant = -62_135_596_800 * TimeUnit.second   // 0001-01-01T00:00:00Z
        var step: Int64 = 7_777_777_777_777   // ~90 days and a fraction, so times and fractions vary
        var checked = 0
        while t < 253_402_300_799 * TimeUnit.second {   // 9999-12-31T23:59:59Z
            #expect(ShanghaiTime.format(t) == Self.local(t), "\(t)")
            #expect(ShanghaiTime.formatUTC(t) == Self.utc(t), "\(t)")
            t += step
            step = step &+ 1_234_567
            checked += 1
        }
        #expect(checked > 1000)
        // Around the summer times of 1986–1991 in Shanghai, hour by hour.
        for h in stride(from: Int64(142_000), to: 190_000, by: 97) {
            let t = h * 3600 * TimeUnit.second + h % 1000
            #expect(ShanghaiTime.format(t) == Self.local(t), "\(t)")
        }
    }

    @Test func daysAndMonthsAsBefore() {
        for d in stride(from: Int64(-800_000), to: 3_000_000, by: 997) {
            #expect(CivilDate.format(days: d) == Self.date(d), "\(d)")
        }
        for m in stride(from: Int64(-30), to: 10_000 * 12, by: 7) {
            let y = Int(m / 12), mo = Int(m % 12) + 1
            #expect(CivilDate.format(month: m) == Self.pad(y, 4) + "-" + Self.pad(mo, 2), "\(m)")
        }
    }
}
