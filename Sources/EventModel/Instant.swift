/// A point in time: microseconds since 1970-01-01T00:00:00Z.
///
/// Event time is held as an integer so that ordering, windows and
/// deadlines are exact and never pass through floating point.
public typealias Instant = Int64

/// Durations are microseconds too.
public typealias Duration64 = Int64

public enum TimeUnit {
    public static let microsecond: Int64 = 1
    public static let millisecond: Int64 = 1_000
    public static let second: Int64 = 1_000_000
    public static let minute: Int64 = 60 * second
    public static let hour: Int64 = 60 * minute
    public static let day: Int64 = 24 * hour
}

/// Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01).
public enum CivilDate {
    /// Days since 1970-01-01 of the civil date y-m-d (Howard Hinnant's algorithm).
    @inlinable
    public static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return Int64(era * 146097 + doe - 719468)
    }

    /// The civil date of a day number.
    @inlinable
    public static func date(fromDays z0: Int64) -> (year: Int, month: Int, day: Int) {
        let z = Int(z0) + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    @inlinable
    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    @inlinable
    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `YYYY-MM-DD` of a day number.
    public static func format(days: Int64) -> String {
        var out = TextBytes(capacity: 12)
        append(days: days, to: &out)
        return out.string
    }

    /// Appends `format(days:)`.
    static func append(days: Int64, to out: inout TextBytes) {
        let (y, m, d) = date(fromDays: days)
        out.append(y, width: 4)
        out.append("-")
        out.append(m, width: 2)
        out.append("-")
        out.append(d, width: 2)
    }

    /// `YYYY-MM` of a month number (year * 12 + month - 1).
    public static func format(month: Int64) -> String {
        let y = Int(month / 12), m = Int(month % 12) + 1
        var out = TextBytes(capacity: 8)
        out.append(y, width: 4)
        out.append("-")
        out.append(m, width: 2)
        return out.string
    }
}
