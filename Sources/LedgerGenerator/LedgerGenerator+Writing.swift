import EventModel

extension Producer {
    /// A choice among cumulative weights from 20 bits of a hash.
    @inline(__always)
    static func choose(_ cumulative: [Double], _ bits: UInt64) -> Int {
        let x = Double(bits & 0xFFFFF) * 0x1p-20 * cumulative[cumulative.count - 1]
        var i = 0
        while i < cumulative.count - 1 && cumulative[i] <= x { i += 1 }
        return i
    }

    /// Starts an event. Background events (`id == nil`) take the system's time
    /// habit, are truncated to its precision and get the next background id;
    /// injected ones keep their exact time (the habit adapts) and their id.
    mutating func begin(_ type: EventType, sys: Int, village v: Int, at t0: Instant,
                        id: [UInt8]? = nil, habit forced: TimeHabit? = nil, flags: UInt8 = 0) {
        let seq = nextSeq(v)
        let style = SplitMix64.hash(styleSeed, UInt64(bitPattern: seq))
        let s = systems[sys]
        var habit = forced ?? s.time(style)
        var t = t0
        if id == nil {
            t -= t % habit.resolution
        } else {
            habit = habit.exact(for: t)
        }
        cur = Current(type: type, sys: sys, village: v, time: t, flags: flags, style: style, seq: seq,
                      moneyHabit: s.money(style >> 20))
        // Write straight into the arena of the event's day when it will be emitted.
        let day = ShanghaiTime.localDay(t)
        if !planningCases && day >= today && day >= config.startDay && day < config.endDay && day - today < Int64(Producer.horizon) {
            cur.slot = Int((day - config.startDay) % Int64(Producer.horizon))
            w.out = ring[cur.slot].bytes
        } else {
            cur.slot = -1
            scratch.removeAll()
            w.out = scratch
        }
        cur.start = w.out.count
        w.begin(compact: s.compact, asciiEscape: s.asciiEscape)
        if s.orderB {
            w.key("type"); w.string(type.staticName)
            w.key("event_id"); writeID(id)
            w.key("village"); w.plain(world.villages[v].codeBytes)
            w.key("occurred_at"); w.timestamp(t, habit)
        } else {
            w.key("event_id"); writeID(id)
            w.key("type"); w.string(type.staticName)
            w.key("occurred_at"); w.timestamp(t, habit)
            w.key("village"); w.plain(world.villages[v].codeBytes)
            if sendsSource(style, s) { w.key("source"); w.string(s.name) }
        }
    }

    @inline(__always)
    func sendsSource(_ style: UInt64, _ s: SourceSystem) -> Bool {
        Double((style >> 40) & 0x3FF) < s.sendsSource * 1024
    }

    private mutating func writeID(_ id: [UInt8]?) {
        if let id { w.plain(id); return }
        let k = cur.village * Systems.count + cur.sys
        counters[k] += 1
        w.byte(UInt8(ascii: "\""))
        IDFormat.append(&w, systems[cur.sys].idHabit, village: cur.village, code: world.villages[cur.village].codeBytes,
                        counter: counters[k], day: ShanghaiTime.localDay(cur.time), seed: styleSeed)
        w.byte(UInt8(ascii: "\""))
    }

    /// A fresh id for an injected event, in the habit of the system.
    mutating func caseID(sys: Int, village v: Int, at t: Instant) -> [UInt8] {
        let k = v * Systems.count + sys
        caseCounters[k] += 1
        var tmp = LineWriter(capacity: 64)

        IDFormat.append(&tmp, systems[sys].idHabit, village: v, code: world.villages[v].codeBytes,
                        counter: caseCounters[k], day: ShanghaiTime.localDay(t), seed: styleSeed)
        return tmp.bytes
    }

    /// Money in the event's habit.
    @inline(__always)
    mutating func money(_ key: StaticString, _ fen: Int64) {
        w.key(key)
        w.money(fen, cur.moneyHabit)
    }

    /// Closes the event (optional `source`, `trace_id`, extra members) and files it.
    mutating func finish() {
        let s = systems[cur.sys]
        let st = cur.style
        if s.orderB && sendsSource(st, s) { w.key("source"); w.string(s.name) }
        if Double((st >> 50) & 0x3FF) < s.traceID * 1024 {
            w.key("trace_id")
            w.byte(UInt8(ascii: "\""))
            let h = SplitMix64.mix(st ^ 0x7472_6163_6569_6421)
            for i in stride(from: 56, through: 0, by: -8) { w.hex2(UInt8(truncatingIfNeeded: h >> UInt64(i))) }
            w.byte(UInt8(ascii: "\""))
        }
        switch s.extra {
        case .none:
            break
        case .opFlag:
            w.key("op"); w.string("I")
        case .extObject:
            w.key("ext"); w.byte(UInt8(ascii: "{"))
            w.raw("\"tenant\":\""); w.uint(UInt64(world.villages[cur.village].code / 1_000_000), width: 6)
            w.raw("\",\"ver\":\"3.2.1\"}")
        case .device:
            w.key("device")
            w.raw(s.compact ? "{\"sn\":\"" : "{\"sn\": \"")
            w.raw(cur.sys == Systems.sealIoT ? "SS" : "KT"); w.uint(world.villages[cur.village].code % 100_000_000, width: 8)
            w.raw(s.compact ? "\",\"fw\":\"1.4.2\",\"battery\":" : "\", \"fw\": \"1.4.2\", \"battery\": ")
            w.uint(40 + (st >> 8) % 60)
            w.byte(UInt8(ascii: "}"))
        case .syncedAt:
            w.key("synced_at")
            let later = cur.time + Int64(300 + (st >> 12) % 10_000) * TimeUnit.second
            w.timestamp(later - later % TimeUnit.second, .utcSeconds)
        case .tagsRemark:
            w.key("tags"); w.raw("[]")
            w.key("remark"); w.null()
        }
        w.end()
        file()
    }

    /// Files the finished line: into the planned cases, as a record of its
    /// day's arena, or nowhere (background events after the ledger's end).
    private mutating func file() {
        let length = w.out.count - cur.start
        if planningCases {
            plannedCases.append(PlannedEvent(day: ShanghaiTime.localDay(cur.time), time: cur.time, seq: cur.seq, village: cur.village, sys: cur.sys,
                                             flags: cur.flags | RecordFlag.isCase, type: cur.type.rawValue, bytes: Array(w.out.slice(cur.start, length))))
            return
        }
        guard cur.slot >= 0 else {
            dropped += 1
            return
        }
        ring[cur.slot].records.append(Record(emitKey: emitKey(cur.time, village: cur.village, sys: cur.sys, seq: cur.seq), seq: cur.seq,
                                             start: Int32(cur.start), length: Int32(length), flags: cur.flags, type: cur.type.rawValue))
    }

    /// When an upstream export puts the event out: shuffled within a minute or
    /// two, and now and then a whole afternoon's batch held back for hours.
    /// Injected events are never held back (`delayable` false): the shuffle stays
    /// well within a streaming engine's allowed lateness, so their ground truth
    /// holds for streaming as well as for replay.
    func emitKey(_ t: Instant, village: Int, sys: Int, seq: Int64, delayable: Bool = true) -> Int64 {
        let h = SplitMix64.hash(disorderSeed, UInt64(bitPattern: seq))
        var key = t + Int64(h % 90_000_000)
        guard delayable else { return key }
        let day = ShanghaiTime.localDay(t)
        let batch = SplitMix64.hash(disorderSeed, UInt64(village), UInt64(sys), UInt64(bitPattern: day))
        if batch % 1000 < 12 && ShanghaiTime.localTimeOfDay(t) >= 12 * TimeUnit.hour {
            key += Int64(2 + (batch >> 20) % 7) * TimeUnit.hour
        }
        return key
    }
}
/// The id habits, rendered.
enum IDFormat {
    static func append(_ w: inout LineWriter, _ habit: IDHabit, village v: Int, code: [UInt8], counter c: UInt64, day: Int64, seed: UInt64) {
        switch habit {
        case .cw:
            w.raw("CW"); w.raw(code); w.uint(c, width: 8)
        case .finDated:
            w.raw("FIN-"); w.raw(code); w.raw("-"); w.compactDate(day); w.raw("-"); w.uint(c, width: 6)
        case .uuid:
            let u = UInt64(v) << 30 | c
            let h = SplitMix64.mix(u ^ seed)
            hex(&w, h >> 32, 8); w.raw("-"); hex(&w, h >> 16, 4); w.raw("-4"); hex(&w, h, 3); w.raw("-")
            let tail = (u ^ (seed >> 7)) & 0xFFFF_FFFF_FFFF
            w.byte(LineWriter.hexDigit(8 + UInt8(truncatingIfNeeded: (h >> 60) & 3))); hex(&w, h >> 40, 3); w.raw("-")
            hex(&w, tail, 12)
        case .cgColon:
            w.raw("cg:"); w.raw(code); w.raw(":"); w.uint(c)
        case .ygDash:
            w.raw("YG"); w.raw(code); w.raw("-"); w.uint(c, width: 6)
        case .lwDot:
            w.raw("LW."); w.raw(code); w.raw("."); w.uint(c, width: 7)
        case .kqDated:
            w.raw("KQ-"); w.raw(code); w.raw("-"); w.compactDate(day); w.raw("-"); w.uint(c, width: 6)
        case .zcDash:
            w.raw("zc-"); w.raw(code); w.raw("-"); w.uint(c, width: 6)
        case .zlColon:
            w.raw("ZL:"); w.raw(code); w.raw(":"); w.uint(c)
        case .yzUnderscore:
            w.raw("YZ_"); w.raw(code); w.raw("_"); w.uint(c, width: 7)
        case .sealHex:
            let u = UInt64(v) << 30 | c
            w.raw("SEAL-"); hex(&w, SplitMix64.mix(u ^ (seed &* 3)), 16, upper: true)
        }
    }

    /// The low `digits` hex digits of v.
    static func hex(_ w: inout LineWriter, _ v: UInt64, _ digits: Int, upper: Bool = false) {
        for i in stride(from: digits - 1, through: 0, by: -1) {
            let d = UInt8(truncatingIfNeeded: (v >> UInt64(4 * i)) & 15)
            w.byte(d < 10 ? 48 + d : (upper ? 55 : 87) + d)
        }
    }
}
