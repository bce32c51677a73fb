import EventModel

extension LedgerGenerator {
    /// Makes today's events: injected ones, then every background process.
    mutating func produceDay() {
        let i = Int(today - config.startDay)
        for v in sealAppCounter.indices { sealAppCounter[v] = 0 }
        let slot = Int((today - config.startDay) % Int64(LedgerGenerator.horizon))
        // Reuse yesterday's big buffer for today.
        if ring[slot].bytes.capacity < spare.capacity {
            spare.removeAll()
            spare.append(ring[slot].bytes.bytes)
            swap(&ring[slot].bytes, &spare)
            spare.removeAll()
        }
        while caseCursor < plannedCases.count && plannedCases[caseCursor].day <= today {
            let e = plannedCases[caseCursor]
            e.bytes.withUnsafeBufferPointer {
                ring[slot].add($0, emitKey: emitKey(e.time, village: e.village, sys: e.sys, seq: e.seq), seq: e.seq, flags: e.flags, type: e.type)
            }
            caseCursor += 1
        }
        for v in 0..<config.villages {
            backgroundFinance(v, i)
            backgroundProcurement(v, i)
            backgroundLaborStarts(v, i)
            backgroundSeals(v, i)
            backgroundNewLease(v)
        }
        laborDay()
        leaseDay()
    }

    /// Puts today's events (and those held back from earlier days) out in
    /// export order, with malformed lines and re-sends mixed in.
    mutating func emitDay(into out: ByteBuffer) {
        let slot = Int((today - config.startDay) % Int64(LedgerGenerator.horizon))
        let bytes = ring[slot].bytes
        var records = ring[slot].records
        ring[slot].records = []
        let base = Int32(bytes.count)
        bytes.append(carry.bytes.bytes)
        for var r in carry.records {
            r.start += base
            records.append(r)
        }
        carry.bytes.removeAll()
        carry.records.removeAll(keepingCapacity: true)
        records.sort { $0.emitKey != $1.emitKey ? $0.emitKey < $1.emitKey : $0.seq < $1.seq }
        let last = today + 1 >= config.endDay
        let cutoff = last ? Int64.max : LedgerGenerator.midnight(today + 1)
        out.reserve(bytes.count + bytes.count / 4 + 1024)
        for r in records {
            let line = bytes.slice(Int(r.start), Int(r.length))
            if r.emitKey >= cutoff {
                carry.add(line, emitKey: r.emitKey, seq: r.seq, flags: r.flags, type: r.type)
                continue
            }
            emitLine(line, flags: r.flags, type: r.type, into: out)
        }
        if last {
            if let s = sentinel {
                s.bytes.withUnsafeBufferPointer { emitLine($0, flags: s.flags, type: s.type, into: out) }
            }
            while let e = dupHeap.pop() { emitDuplicate(e, into: out) }
        }
        // Keep the big buffer for tomorrow; give the slot the small one back.
        bytes.removeAll()
        swap(&ring[slot].bytes, &spare)
        ring[slot].bytes.shrink(ifAbove: 1 << 20)
        stats.bytes += out.count
    }

    private mutating func emitDuplicate(_ e: DuplicateHeap.Entry, into out: ByteBuffer) {
        out.append(e.bytes)
        lineNo += 1
        stats.lines += 1
        stats.duplicates += 1
    }

    private mutating func emitLine(_ line: UnsafeBufferPointer<UInt8>, flags: UInt8, type: UInt8, into out: ByteBuffer) {
        while let top = dupHeap.top, top.target <= lineNo + 1 {
            emitDuplicate(dupHeap.pop()!, into: out)
        }
        let rate = config.malformedRate
        if rate > 0 {
            if flags & RecordFlag.malformedCopyFirst != 0 {
                malformed(Array(line), forcedKind: "bad_amount", into: out)
            } else if flags & RecordFlag.isCase == 0 && dirt.chance(rate) {
                malformed(Array(line), forcedKind: nil, into: out)
            }
            if dirt.chance(rate * 0.05) {
                out.append(dirt.chance(0.7) ? [0x0A] : [0x20, 0x20, 0x0A])
                lineNo += 1
                stats.lines += 1
                stats.blankLines += 1
            }
        }
        out.append(line)
        lineNo += 1
        stats.lines += 1
        stats.events += 1
        stats.eventsByType[Int(type)] += 1
        if flags & RecordFlag.forceDuplicate != 0 {
            dupOrder += 1
            dupHeap.push(.init(target: lineNo + 1 + dupRng.int(0, 20), order: dupOrder, bytes: Array(line), type: type))
        } else if config.duplicateRate > 0 && dupRng.chance(config.duplicateRate) {
            dupOrder += 1
            let gap = dupRng.chance(0.65) ? dupRng.int(1, 300) : dupRng.int(5_000, 2_000_000)
            dupHeap.push(.init(target: lineNo + gap, order: dupOrder, bytes: Array(line), type: type))
        }
    }

    private mutating func malformed(_ line: [UInt8], forcedKind: String?, into out: ByteBuffer) {
        var rng = dirt
        let (bytes, kind, variant) = corruptor.corrupt(line, forcedKind: forcedKind, &rng)
        dirt = rng
        out.append(bytes)
        lineNo += 1
        stats.lines += 1
        stats.malformed += 1
        malformedLines.append(MalformedLine(lineNumber: lineNo, kind: kind, variant: variant))
    }
}
