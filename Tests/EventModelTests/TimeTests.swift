import EventModel
import Testing

@Suite struct TimeTests {
    @Test func offsetsAndFractions() throws {
        let a = try Timestamp.parse("2023-03-14T10:22:05+08:00").get()
        let b = try Timestamp.parse("2023-03-14T02:22:05Z").get()
        let c = try Timestamp.parse("2023-03-14T02:22:05.000+00:00").get()
        #expect(a == b && b == c)
        let frac = try Timestamp.parse("2023-03-14T02:22:05.1234567Z").get()
        #expect(frac - b == 123_456, "kept to the microsecond")
        #expect(try Timestamp.parse("1970-01-01T00:00:00Z").get() == 0)
        #expect(try Timestamp.parse("0001-01-01T00:00:00Z").get() < 0)
        #expect(try Timestamp.parse("9999-12-31T23:59:59.999999-23:59").get() > 0)
    }

    @Test func shanghaiLocalTime() throws {
        let t = try Timestamp.parse("2023-05-01T14:00:00Z").get()
        #expect(ShanghaiTime.localTimeOfDay(t) == 22 * TimeUnit.hour)
        #expect(ShanghaiTime.localDay(t) == CivilDate.days(year: 2023, month: 5, day: 1))
        #expect(ShanghaiTime.startOfDay(CivilDate.days(year: 2023, month: 4, day: 1)) == (try Timestamp.parse("2023-03-31T16:00:00Z").get()))
        #expect(ShanghaiTime.format(t) == "2023-05-01T22:00:00+08:00")
    }

    @Test func shanghaiHadDaylightSavingIn1988() throws {
        // 1988-07-01 12:00 UTC was 21:00 local (UTC+9), not 20:00.
        let t = try Timestamp.parse("1988-07-01T12:00:00Z").get()
        #expect(ShanghaiTime.offsetSeconds(at: t) == 9 * 3600)
        #expect(ShanghaiTime.localTimeOfDay(t) == 21 * TimeUnit.hour)
        // 1988-04-17 02:00 local did not exist: the day's start is still midnight.
        let day = CivilDate.days(year: 1988, month: 4, day: 17)
        #expect(ShanghaiTime.localDay(ShanghaiTime.startOfDay(day)) == day)
    }

    @Test func civilDatesRoundTrip() {
        for d in stride(from: Int64(-800_000), to: 800_000, by: 997) {
            let (y, m, dd) = CivilDate.date(fromDays: d)
            #expect(CivilDate.days(year: y, month: m, day: dd) == d)
        }
        #expect(Timestamp.parseDate("2024-02-29") != nil)
        #expect(Timestamp.parseDate("2023-02-29") == nil)
        #expect(Timestamp.parseDate("2023-13-01") == nil)
        #expect(Timestamp.parseMonth("2023-00") == nil)
        let december: Int64? = Timestamp.parseMonth("2023-12")
        let expectedMonth: Int64 = 2023 * 12 + 11
        #expect(december == expectedMonth)
    }
}
