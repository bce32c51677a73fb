/// Local civil time in Asia/Shanghai, the zone all village calendars use.
///
/// The offsets come from the IANA tz database (Asia/Shanghai): local mean
/// time before 1901, and the daylight-saving years 1919–1949 and 1986–1991.
/// Since 1991 the offset is a constant +08:00.
public enum ShanghaiTime {
    /// (first UTC second the offset applies, offset seconds); sorted.
    static let transitions: [(Int64, Int64)] = [
        (-2177481943, 28800), (-1600675200, 32400), (-1585904400, 28800), (-933667200, 32400),
        (-922093200, 28800), (-908870400, 32400), (-888829200, 28800), (-881049600, 32400),
        (-767869200, 28800), (-745833600, 32400), (-733827600, 28800), (-716889600, 32400),
        (-699613200, 28800), (-683884800, 32400), (-670669200, 28800), (-652348800, 32400),
        (-650019600, 28800), (515527200, 32400), (527014800, 28800), (545162400, 32400),
        (558464400, 28800), (577216800, 32400), (589914000, 28800), (608666400, 32400),
        (621968400, 28800), (640116000, 32400), (653418000, 28800), (671565600, 32400),
        (684867600, 28800),
    ]
    static let lmtOffset: Int64 = 29143
    @usableFromInline static let lastTransition: Int64 = 684867600

    /// UTC offset in seconds at an instant.
    @inlinable
    public static func offsetSeconds(at t: Instant) -> Int64 {
        let s = t >= 0 ? t / TimeUnit.second : (t - (TimeUnit.second - 1)) / TimeUnit.second
        if s >= lastTransition { return 28800 }
        return slowOffset(utcSeconds: s)
    }

    @usableFromInline
    static func slowOffset(utcSeconds s: Int64) -> Int64 {
        var off = lmtOffset
        for (start, o) in transitions {
            if s >= start { off = o } else { break }
        }
        return off
    }

    /// Microseconds since the local epoch (local wall clock read as if UTC).
    @inlinable
    public static func localMicros(_ t: Instant) -> Int64 {
        t + offsetSeconds(at: t) * TimeUnit.second
    }

    /// Local calendar day number (days since 1970-01-01) of an instant.
    @inlinable
    public static func localDay(_ t: Instant) -> Int64 {
        floorDiv(localMicros(t), TimeUnit.day)
    }

    /// Microseconds since local midnight.
    @inlinable
    public static func localTimeOfDay(_ t: Instant) -> Int64 {
        let l = localMicros(t)
        return l - floorDiv(l, TimeUnit.day) * TimeUnit.day
    }

    /// The instant of the start of a local calendar day (local midnight, or the
    /// first existing local time of that day when midnight was skipped).
    public static func startOfDay(_ day: Int64) -> Instant {
        let wall = day * TimeUnit.day
        // Try the offsets that can apply; pick the earliest instant whose local day is `day`.
        var best: Instant? = nil
        for off in [Int64(28800), 32400, lmtOffset] {
            let t = wall - off * TimeUnit.second
            if offsetSeconds(at: t) == off {
                if best == nil || t < best! { best = t }
            }
        }
        if let b = best { return b }
        // Midnight fell into a gap: the day starts at the transition instant.
        let guess = wall - 28800 * TimeUnit.second
        for (start, _) in transitions {
            let ts = start * TimeUnit.second
            if ts > guess - TimeUnit.day && ts <= guess + TimeUnit.day && localDay(ts) == day { return ts }
        }
        return guess
    }

    @inlinable
    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q
    }

    /// RFC 3339 rendering in local time with offset, e.g. `2023-03-14T10:22:05+08:00`.
    public static func format(_ t: Instant) -> String {
        let off = offsetSeconds(at: t)
        let l = t + off * TimeUnit.second
        let day = floorDiv(l, TimeUnit.day)
        var out = TextBytes(capacity: 40)
        appendDateAndTime(day: day, sinceMidnight: l - day * TimeUnit.day, trimFraction: true, to: &out)
        let oh = Int(off / 3600), om = Int(off / 60 % 60), os = Int(off % 60)
        out.append("+")
        out.append(oh, width: 2)
        out.append(":")
        out.append(om, width: 2)
        if os != 0 {
            out.append(":")
            out.append(os, width: 2)
        }
        return out.string
    }

    /// UTC rendering `2023-03-14T02:22:05Z` (with fraction when non-zero).
    public static func formatUTC(_ t: Instant) -> String {
        let day = floorDiv(t, TimeUnit.day)
        var out = TextBytes(capacity: 32)
        appendDateAndTime(day: day, sinceMidnight: t - day * TimeUnit.day, trimFraction: false, to: &out)
        out.append("Z")
        return out.string
    }

    /// `YYYY-MM-DDTHH:MM:SS` of a day and the time since its midnight, and
    /// `.ffffff` when the microseconds into the second are not zero (without
    /// their trailing zeros when `trimFraction`).
    private static func appendDateAndTime(day: Int64, sinceMidnight: Int64, trimFraction: Bool, to out: inout TextBytes) {
        let micros = sinceMidnight % TimeUnit.second
        let rem = sinceMidnight / TimeUnit.second
        CivilDate.append(days: day, to: &out)
        out.append("T")
        out.append(Int(rem / 3600), width: 2)
        out.append(":")
        out.append(Int(rem / 60 % 60), width: 2)
        out.append(":")
        out.append(Int(rem % 60), width: 2)
        if micros != 0 {
            out.append(".")
            out.append(Int(micros), width: 6)
            if trimFraction { out.dropTrailingZeros() }
        }
    }
}
