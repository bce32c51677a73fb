import EventModel

extension LedgerGenerator {
    /// Merges the producers' records of the day into export order, with
    /// malformed lines and re-sends mixed in.
    mutating func emitDay(into out: ByteBuffer) {
        let records = producers.map(\.outRecords)
        let buffers = producers.map(\.outBytes)
        var heads = [Int](repeating: 0, count: records.count)
        out.reserve(buffers.reduce(0) { $0 + $1.count } + 4096)
        while true {
            var best = -1
            var key = Int64.max, seq = Int64.max
            for p in records.indices where heads[p] < records[p].count {
                let r = records[p][heads[p]]
                if r.emitKey < key || (r.emitKey == key && r.seq < seq) { best = p; key = r.emitKey; seq = r.seq }
            }
            if best < 0 { break }
            let r = records[best][heads[best]]
            heads[best] += 1
            emitLine(buffers[best].slice(Int(r.start), Int(r.length)), flags: r.flags, type: r.type, into: out)
        }
        if today + 1 >= config.endDay {
            if let s = sentinel {
                s.bytes.withUnsafeBufferPointer { emitLine($0, flags: s.flags, type: s.type, into: out) }
            }
            while let e = dupHeap.pop() { emitDuplicate(e, into: out) }
        }
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
