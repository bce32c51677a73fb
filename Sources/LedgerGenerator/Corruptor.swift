import EventModel

/// Turns a valid line into a malformed one with exactly one fault of a
/// chosen kind, so that the dead-letter reason is unambiguous.
///
/// It works on the generator's own output: a flat object whose members it can
/// find and rebuild.
struct Corruptor: Sendable {
    /// The fault kinds, in the order they are cycled through so that even a
    /// short ledger shows every kind. Raw values are `DecodeError.Kind` raw values.
    static let kinds: [String] = [
        "bad_json", "not_object", "missing_field", "null_required", "wrong_type", "unknown_type",
        "bad_timestamp", "bad_amount", "bad_village", "bad_event_id", "bad_date", "bad_enum", "bad_json",
    ]
    var next = 0
    /// How often each kind was used: variants take turns, so that every one occurs.
    var uses: [String: Int] = [:]

    /// The next variant of a kind among `n`.
    mutating func variant(_ kind: String, of n: Int) -> Int {
        let k = uses[kind, default: 0]
        uses[kind] = k + 1
        return k % n
    }

    struct Member {
        var key: [UInt8]
        var member: Range<Int>
        var value: Range<Int>
    }

    /// Top-level members of a flat JSON object line (our own output).
    static func members(_ b: [UInt8]) -> (members: [Member], separator: [UInt8], colon: [UInt8]) {
        var out: [Member] = []
        var i = 1
        let n = b.count
        var sep: [UInt8] = [UInt8(ascii: ",")]
        var colon: [UInt8] = [UInt8(ascii: ":")]
        func ws() { while i < n && (b[i] == 0x20 || b[i] == 0x0A) { i += 1 } }
        func skipString() {
            i += 1
            while i < n && b[i] != 0x22 { if b[i] == 0x5C { i += 1 }; i += 1 }
            i += 1
        }
        func skipValue() {
            if b[i] == 0x22 { skipString(); return }
            if b[i] == UInt8(ascii: "{") || b[i] == UInt8(ascii: "[") {
                var depth = 0
                while i < n {
                    let c = b[i]
                    if c == 0x22 { skipString(); continue }
                    if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
                    if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") { depth -= 1; if depth == 0 { i += 1; return } }
                    i += 1
                }
                return
            }
            while i < n && b[i] != UInt8(ascii: ",") && b[i] != UInt8(ascii: "}") && b[i] != 0x20 && b[i] != 0x0A { i += 1 }
        }
        while i < n {
            ws()
            guard i < n, b[i] == 0x22 else { break }
            let mStart = i
            skipString()
            let key = Array(b[(mStart + 1)..<(i - 1)])
            let cStart = i
            ws(); i += 1; ws()
            if out.isEmpty { colon = Array(b[cStart..<i]) }
            let vStart = i
            skipValue()
            out.append(Member(key: key, member: mStart..<i, value: vStart..<i))
            let sStart = i
            ws()
            if i < n && b[i] == UInt8(ascii: ",") {
                i += 1
                let s0 = i
                ws()
                if out.count == 1 { sep = Array(b[sStart..<s0]) + Array(b[s0..<i]) }
                continue
            }
            break
        }
        return (out, sep, colon)
    }

    static func rebuild(_ b: [UInt8], _ ms: [Member], _ sep: [UInt8], replacing: [Int: [UInt8]] = [:], removing: Int? = nil) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        for (k, m) in ms.enumerated() where k != removing {
            if !first { out += sep }
            first = false
            if let v = replacing[k] {
                out += b[m.member.lowerBound..<m.value.lowerBound]
                out += v
            } else {
                out += b[m.member]
            }
        }
        out += [UInt8(ascii: "}"), UInt8(ascii: "\n")]
        return out
    }

    /// A malformed variant of `line` (which ends in a newline): the bytes, the kind and the precise fault.
    mutating func corrupt(_ line: [UInt8], forcedKind: String? = nil, _ rng: inout SplitMix64) -> (bytes: [UInt8], kind: String, variant: String) {
        let body = Array(line.dropLast())
        let (ms, sep, _) = Corruptor.members(body)
        func index(_ key: String) -> Int? { ms.firstIndex { $0.key.elementsEqual(key.utf8) } }
        let typeName = index("type").map { String(decoding: body[ms[$0].value].dropFirst().dropLast(), as: UTF8.self) } ?? ""
        let type = EventType(name: typeName) ?? .financePayment
        let specs = type.fields
        let moneyFields = specs.filter { $0.field.kind == .money && index($0.field.name) != nil }
        let dateFields = specs.filter { ($0.field.kind == .date || $0.field.kind == .month) && index($0.field.name) != nil }
        let enumFields = specs.filter { $0.field.kind == .enumeration && index($0.field.name) != nil }

        func applicable(_ k: String) -> Bool {
            switch k {
            case "bad_amount": !moneyFields.isEmpty
            case "bad_date": !dateFields.isEmpty
            case "bad_enum": !enumFields.isEmpty
            default: true
            }
        }
        var kind: String
        if let forcedKind, applicable(forcedKind) {
            kind = forcedKind
        } else {
            var j = next
            while !applicable(Corruptor.kinds[j % Corruptor.kinds.count]) { j += 1 }
            kind = Corruptor.kinds[j % Corruptor.kinds.count]
            if j == next { next += 1 }
        }
        func q(_ s: String) -> [UInt8] { [0x22] + Array(s.utf8) + [0x22] }
        func replace(_ k: Int, _ v: [UInt8]) -> [UInt8] { Corruptor.rebuild(body, ms, sep, replacing: [k: v]) }
        func valueText(_ k: Int) -> [UInt8] { Array(body[ms[k].value]) }
        func stringContent(_ k: Int) -> [UInt8] { Array(valueText(k).dropFirst().dropLast()) }

        switch kind {
        case "bad_json":
            switch variant(kind, of: 6) {
            case 0:
                let cut = rng.int(10, max(11, body.count - 2))
                return (Array(body[0..<min(cut, body.count - 1)]) + [0x0A], kind, "truncated")
            case 1:
                return (Array(body.dropLast()) + Array(",}\n".utf8), kind, "trailing_comma")
            case 2:
                var b = body
                if let k = index("event_id") { b[ms[k].member.lowerBound] = UInt8(ascii: "'"); b[ms[k].member.lowerBound + 9] = UInt8(ascii: "'") }
                return (b + [0x0A], kind, "single_quotes")
            case 3:
                let k = index("event_id")!
                let v = ms[k].value
                var b = body
                let bad: [[UInt8]] = [[0xFF], [0xE4, 0xB8], [0xC0, 0xAF], [0xED, 0xA0, 0x80]]
                b.insert(contentsOf: bad[rng.int(bad.count)], at: v.lowerBound + 1)
                return (b + [0x0A], kind, "invalid_utf8")
            case 4:
                let k = index("event_id")!
                var b = body
                b.insert(0x09, at: ms[k].value.lowerBound + 1)
                return (b + [0x0A], kind, "control_char_in_string")
            default:
                if let m = moneyFields.first, let k = index(m.field.name) { return (replace(k, Array("NaN".utf8)), kind, "nan_amount") }
                return (Array(body.dropLast()) + Array("}}\n".utf8), kind, "extra_brace")
            }
        case "not_object":
            switch variant(kind, of: 4) {
            case 0: return ([UInt8(ascii: "[")] + body + [UInt8(ascii: "]"), 0x0A], kind, "array")
            case 1: return (Array("null\n".utf8), kind, "null")
            case 2: return (Array("\"heartbeat\"\n".utf8), kind, "string")
            default: return (Array("0\n".utf8), kind, "number")
            }
        case "missing_field":
            let required = ["event_id", "type", "occurred_at", "village"] + specs.filter(\.required).map(\.field.name)
            let name = required[variant(kind, of: required.count)]
            guard let k = index(name) else { return (body + [0x0A], kind, "missing_\(name)") }
            return (Corruptor.rebuild(body, ms, sep, removing: k), kind, "missing_\(name)")
        case "null_required":
            let required = ["occurred_at", "village"] + specs.filter(\.required).map(\.field.name)
            let name = required[variant(kind, of: required.count)]
            return (replace(index(name)!, Array("null".utf8)), kind, "null_\(name)")
        case "wrong_type":
            var options: [(String, [UInt8])] = [
                ("village", stringContent(index("village")!)),
                ("event_id", Array("1024".utf8)),
                ("occurred_at", Array("1678760525".utf8)),
                ("type", Array("7".utf8)),
            ]
            if let m = moneyFields.first { options.append((m.field.name, rng.chance(0.5) ? Array("true".utf8) : [UInt8(ascii: "[")] + valueText(index(m.field.name)!) + [UInt8(ascii: "]")])) }
            for f in ["hours", "quantity"] where index(f) != nil { options.append((f, q(String(decoding: valueText(index(f)!), as: UTF8.self)))) }
            if index("inspector_ids") != nil { options.append(("inspector_ids", q("330523"))) }
            if index("purpose") != nil { options.append(("purpose", Array("{}".utf8))) }
            if index("application_id") != nil { options.append(("application_id", Array("20230314".utf8))) }
            let (name, v) = options[variant(kind, of: options.count)]
            return (replace(index(name)!, v), kind, "wrong_type_\(name)")
        case "unknown_type":
            let names = [typeName.prefix(1).uppercased() + typeName.dropFirst(), typeName + "s", "finance.refund", "lease.rent-due", typeName.uppercased(), ""]
            let i = variant(kind, of: names.count)
            return (replace(index("type")!, q(names[i])), kind, ["capitalised", "plural", "unknown", "dash", "upper", "empty"][i])
        case "bad_timestamp":
            let k = index("occurred_at")!
            let ts = stringContent(k) // YYYY-MM-DDTHH:MM:SS[.f](Z|±hh:mm)
            let base = Array(ts[0..<19])
            var zone = Array(ts[19...])
            while let c = zone.first, c == UInt8(ascii: ".") || (c >= 48 && c <= 57) { zone.removeFirst() }
            let frac = Array(ts[19..<(ts.count - zone.count)])
            let variants: [(String, [UInt8])] = [
                ("lowercase_t", Array(base[0..<10]) + [UInt8(ascii: "t")] + Array(base[11...]) + frac + zone),
                ("lowercase_z", base + frac + [UInt8(ascii: "z")]),
                ("missing_offset", base + frac),
                ("hour_24", Array(base[0..<11]) + Array("24:00:00".utf8) + zone),
                ("leap_second", Array(base[0..<11]) + Array("23:59:60".utf8) + zone),
                ("feb_30", Array(base[0..<5]) + Array("02-30".utf8) + Array(base[10...]) + frac + zone),
                ("space_separator", Array(base[0..<10]) + [0x20] + Array(base[11...]) + frac + zone),
                ("compact_offset", base + frac + Array("+0800".utf8)),
            ]
            let (name, v) = variants[variant(kind, of: variants.count)]
            return (replace(k, q(String(decoding: v, as: UTF8.self))), kind, name)
        case "bad_amount":
            let m = moneyFields[rng.int(moneyFields.count)]
            let variants: [(String, [UInt8])] = [
                ("negative", Array("-1250.5".utf8)),
                ("three_decimals", Array("1250.555".utf8)),
                ("exponent", Array("1.25e3".utf8)),
                ("thousands_separator", q("12,500.00")),
                ("string_three_decimals", q("88.888")),
                ("negative_string", q("-12.50")),
                ("empty_string", q("")),
                ("currency_sign", q("¥300")),
            ]
            let (name, v) = variants[variant(kind, of: variants.count)]
            return (replace(index(m.field.name)!, v), kind, name)
        case "bad_village":
            let k = index("village")!
            let code = stringContent(k)
            let variants: [(String, [UInt8])] = [
                ("eleven_digits", Array(code.dropLast())),
                ("thirteen_digits", code + [UInt8(ascii: "0")]),
                ("letters", Array(code.dropLast(2)) + Array("AB".utf8)),
                ("fullwidth_digit", Array(code.dropLast()) + Array("０".utf8)),
                ("empty", []),
            ]
            let (name, v) = variants[variant(kind, of: variants.count)]
            return (replace(k, [0x22] + v + [0x22]), kind, name)
        case "bad_event_id":
            let k = index("event_id")!
            let id = stringContent(k)
            var long = id
            while long.count < 65 { long.append(UInt8(ascii: "0") + UInt8(long.count % 10)) }
            let variants: [(String, [UInt8])] = [
                ("sixty_five_chars", Array(long.prefix(65))),
                ("slash", Array(id.prefix(10)) + Array("/".utf8) + Array(id.dropFirst(10))),
                ("space", Array(id.prefix(6)) + [0x20] + Array(id.dropFirst(6))),
                ("hash", id + Array("#1".utf8)),
                ("chinese", id + Array("补".utf8)),
                ("empty", []),
            ]
            let (name, v) = variants[variant(kind, of: variants.count)]
            return (replace(k, [0x22] + v + [0x22]), kind, name)
        case "bad_date":
            let f = dateFields[rng.int(dateFields.count)]
            let k = index(f.field.name)!
            let d = stringContent(k)
            if f.field.kind == .month {
                let variants: [(String, String)] = [("month_13", String(decoding: d.prefix(5), as: UTF8.self) + "13"),
                                                    ("month_unpadded", String(decoding: d.prefix(5), as: UTF8.self) + "7"),
                                                    ("slash_month", String(decoding: d.prefix(4), as: UTF8.self) + "/06"),
                                                    ("full_date", String(decoding: d, as: UTF8.self) + "-01")]
                let (name, v) = variants[variant(kind, of: variants.count)]
                return (replace(k, q(v)), kind, name)
            }
            let y = String(decoding: d.prefix(4), as: UTF8.self)
            let variants: [(String, String)] = [("feb_30", y + "-02-30"), ("apr_31", y + "-04-31"), ("slashes", y + "/03/01"),
                                                ("unpadded", y + "-3-1"), ("with_time", String(decoding: d, as: UTF8.self) + "T00:00:00")]
            let (name, v) = variants[variant(kind, of: variants.count)]
            return (replace(k, q(v)), kind, name)
        case "bad_enum":
            let f = enumFields[rng.int(enumFields.count)]
            let k = index(f.field.name)!
            let value = String(decoding: stringContent(k), as: UTF8.self)
            let variants: [(String, String)] = [
                ("capitalised", value.prefix(1).uppercased() + value.dropFirst()),
                ("upper_case", value.uppercased()),
                ("trailing_space", value + " "),
                ("synonym", f.field == .result ? "passed" : f.field == .decision ? "approve" : value + "_fee"),
                ("chinese", f.field == .result ? "合格" : f.field == .decision ? "同意" : "其他"),
            ]
            let (name, v) = variants[variant(kind, of: variants.count)]
            return (replace(k, q(v)), kind, name)
        default:
            return (body + [0x0A], kind, "none")
        }
    }
}
