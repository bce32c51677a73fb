import Foundation
import RuleCompiler
import RuleLanguage
import FuzzSupport
import Testing

/// Issue 8, "bad input, tried for real": seeded random mutations of the
/// reference rules (and the broken fixture) through the lexer, the
/// recovering parser, the checks and the lowering, for a bounded number of
/// iterations (what CI runs; `make fuzz` runs libFuzzer over the same
/// corpus, fuzz/corpus/rules). Every input gives a rule set or diagnostics
/// at valid positions that render — never a trap.
///
/// `QIANLIYAN_FUZZ_ITERATIONS` scales the run (a fifth of it are rule files:
/// 2,000 by default, 40,000 with `make fuzz-props`), `QIANLIYAN_FUZZ_SEED` changes it.
@Suite struct ParserFuzzTests {
    static var iterations: Int {
        (ProcessInfo.processInfo.environment["QIANLIYAN_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 10_000) / 5
    }

    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["QIANLIYAN_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_0A1E
    }

    static var root: String { DiagnosticsTests.root }

    static let seeds: [String] = {
        let dir = root + "/fuzz/corpus/rules"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        return names.compactMap { FileManager.default.contents(atPath: dir + "/" + $0).map { String(decoding: $0, as: UTF8.self) } }
    }()

    /// What one input gave.
    enum Verdict: Hashable { case compiled, rejected }

    /// Compiles `text` and checks the invariants.
    @discardableResult
    static func check(_ text: String, _ comment: @autoclosure () -> String = "") -> Verdict {
        let file = SourceFile(path: "fuzz.rule", text: text)
        let lines = file.bytes.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        let (_, parseDiagnostics) = Parser.parse(file)
        let out = RuleSetCompiler.compile([file])
        for d in parseDiagnostics + out.diagnostics {
            #expect(d.line >= 1 && d.line <= lines, "\(d.code) at line \(d.line) of \(lines): \(comment())")
            #expect(d.column >= 1, "\(d.code) at column \(d.column): \(comment())")
            #expect(d.range.start >= 0 && d.range.start <= file.bytes.count && d.range.end <= file.bytes.count,
                    "\(d.code) range \(d.range.start)..<\(d.range.end) of \(file.bytes.count) bytes: \(comment())")
            #expect(!d.message.isEmpty && d.code.count == 5, "\(d.code): \(comment())")
            let rendered = d.rendered(source: file)
            #expect(rendered.hasPrefix("fuzz.rule:\(d.line):\(d.column): "))
        }
        if parseDiagnostics.hasErrors { #expect(out.ruleSet == nil, "a file with syntax errors compiled: \(comment())") }
        guard let rs = out.ruleSet else {
            #expect(out.diagnostics.hasErrors, "no rule set and no error: \(comment())")
            return .rejected
        }
        let names = rs.rules.map(\.name)
        #expect(Set(names).count == names.count && !names.contains(""), "\(names): \(comment())")
        return .compiled
    }

    @Test func everySeedCompilesOrIsTheBrokenFixture() {
        #expect(Self.seeds.count >= 15, "fuzz/corpus/rules is missing: run fuzz/scripts/seed-corpus.py")
        let verdicts = Self.seeds.map { Self.check($0) }
        #expect(verdicts.filter { $0 == .compiled }.count >= 14)
    }

    @Test func randomMutationsGiveARuleSetOrDiagnostics() {
        var rng = SeededRandom(seed: Self.seed)
        var verdicts: [Verdict: Int] = [:]
        let seeds = Self.seeds
        guard !seeds.isEmpty else { Issue.record("no corpus"); return }
        for i in 0..<Self.iterations {
            var text = seeds[rng.below(seeds.count)]
            if rng.chance(0.2) { text += "\n" + seeds[rng.below(seeds.count)] }
            for _ in 0..<(1 + rng.below(4)) { RuleMutator.mutate(&text, seeds: seeds, &rng) }
            verdicts[Self.check(text, "iteration \(i), seed \(Self.seed)"), default: 0] += 1
        }
        // Some mutants stay valid (parameter values, names, spacing): the mutations explore both sides.
        #expect(verdicts[.compiled, default: 0] > Self.iterations / 100, "\(verdicts)")
        #expect(verdicts[.rejected, default: 0] > Self.iterations / 2, "\(verdicts)")
    }

    @Test func invalidUTF8AndControlCharactersAreDiagnosed() {
        let base = Self.seeds.first { $0.contains("rule ") && !$0.contains("amout") } ?? "rule a\nend\n"
        var bytes = Array(base.utf8)
        for (n, junk) in ([[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0x00], [0x1B, 0x5B], [0x0D], [0xE2, 0x80, 0xAE]] as [[UInt8]]).enumerated() {
            bytes.insert(contentsOf: junk, at: (bytes.count / 8) * (n + 1) % bytes.count)
            Self.check(String(decoding: bytes, as: UTF8.self), "junk \(junk)")
        }
    }

    @Test func longAndWideFilesAreDiagnosedInBoundedTime() {
        let clock = ContinuousClock()
        let start = clock.now
        // A line of 1 MB, 20,000 rules, 5,000 errors in one file, a 200 kB string.
        Self.check(String(repeating: "x", count: 1 << 20))
        let rule = Self.seeds.first { $0.contains("split-payments") } ?? ""
        var many = ""
        for i in 0..<2_000 { many += rule.replacingOccurrences(of: "split-payments", with: "split-\(i)") + "\n" }
        #expect(Self.check(many) == .compiled)
        Self.check(String(repeating: "rule a\n  version x\n  wibble ( ]\n", count: 5_000))
        Self.check("rule a\n  version 1\n  severity high\n  title \"" + String(repeating: "标题", count: 100_000) + "\"\nend\n")
        #expect(clock.now - start < .seconds(120))
    }

    /// A placeholder's diagnostic points into the summary where it stands, however
    /// far into a long file (placeholders used to be re-lexed padded to their
    /// offset, which made compiling quadratic in the file's size).
    @Test func placeholderDiagnosticsPointIntoTheSummaryOfALongFile() {
        let rule = Self.seeds.first { $0.contains("split-payments") } ?? ""
        guard !rule.isEmpty else { Issue.record("no split-payments seed"); return }
        var text = ""
        for i in 0..<300 { text += rule.replacingOccurrences(of: "split-payments", with: "split-\(i)") + "\n" }
        let line = text.reduce(1) { $1 == "\n" ? $0 + 1 : $0 } + 5
        text += """
        rule late-typo
          version 1
          severity low
          title "t"
          on finance.payment where amount > 1
          summary "paid 中文 {amout} to {payee_id}"
        end

        """
        let clock = ContinuousClock()
        let start = clock.now
        let file = SourceFile(path: "fuzz.rule", text: text)
        let out = RuleSetCompiler.compile([file])
        #expect(clock.now - start < .seconds(60), "300 rules took \(clock.now - start)")
        let typo = out.diagnostics.filter { file.slice($0.range) == "amout" }
        #expect(typo.count >= 1, "\(out.diagnostics.map(\.headline).prefix(5))")
        for d in typo {
            #expect(d.line == line, "\(d.headline)")
            #expect(d.column == 21, "\(d.headline)") // columns count characters: 中文 are two
        }
        #expect(out.ruleSet == nil)
    }

    /// Nesting within what a person writes (a few hundred levels) is compiled or diagnosed.
    @Test(arguments: [1, 10, 100, 200])
    func nestedExpressionsWithinReason(depth: Int) {
        let open = String(repeating: "(", count: depth), close = String(repeating: ")", count: depth)
        let nots = String(repeating: "not ", count: depth * 2)
        let minus = String(repeating: "- ", count: depth)
        let chain = (0..<(depth * 5)).map { _ in "amount" }.joined(separator: " + ")
        for expr in ["\(open)amount > 1\(close)", "\(nots)amount > 1", "\(minus)amount < 1", "\(chain) > 1", "\(open)amount > 1"] {
            Self.check("""
            rule deep
              version 1
              severity low
              title "t"
              on finance.payment where \(expr)
              summary "s"
            end
            """, "depth \(depth)")
        }
    }
}

/// Line-, word- and byte-level mutations of rule text.
enum RuleMutator {
    static let words: [String] = [
        "rule", "end", "version", "severity", "title", "description", "param", "on", "where", "group", "by", "within", "fire", "when",
        "require", "matching", "having", "expect", "from", "until", "enough", "deadline", "retain", "summary", "en", "zh",
        "and", "or", "not", "in", "is", "absent", "present", "all", "distinct", "as", "count", "sum", "min", "max", "avg",
        "days", "hours", "minutes", "seconds", "low", "medium", "high", "critical", "village", "township", "district",
        "local_time", "local_date", "local_hour", "month", "start_of_day", "abs", "cadre_link", "reference_price",
        "finance.payment", "procurement.contract", "seal.usage", "lease.rent_due", "labor.wage", "amount", "payee_id",
        "approval_limit", "decision_limit", "occurred_at", "event_id", "amout", "finance.paymnet",
        "==", "!=", "<=", ">=", "<", ">", "(", ")", ",", ".", ":", "+", "-", "*", "/", "\"", "\"s {amount}\"", "{", "}",
        "22:00", "06:00:30", "7 days", "1.5", "0", "-1", "99999999999999999999999", "1e9", "#", "//", "\\", "\t", "\r\n", "中文",
    ]

    static func mutate(_ text: inout String, seeds: [String], _ rng: inout SeededRandom) {
        var lines = text.components(separatedBy: "\n")
        switch rng.below(10) {
        case 0 where lines.count > 1: // delete a line
            lines.remove(at: rng.below(lines.count))
        case 1: // repeat a line elsewhere
            lines.insert(lines[rng.below(lines.count)], at: rng.below(lines.count + 1))
        case 2 where lines.count > 1: // swap two lines
            lines.swapAt(rng.below(lines.count), rng.below(lines.count))
        case 3: // a line from another file
            let other = seeds[rng.below(seeds.count)].components(separatedBy: "\n")
            lines.insert(other[rng.below(other.count)], at: rng.below(lines.count + 1))
        case 4, 5: // replace a word
            let i = rng.below(lines.count)
            var ws = lines[i].split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            ws[rng.below(ws.count)] = words[rng.below(words.count)]
            lines[i] = ws.joined(separator: " ")
        case 6: // insert a word
            let i = rng.below(lines.count)
            var ws = lines[i].split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            ws.insert(words[rng.below(words.count)], at: rng.below(ws.count + 1))
            lines[i] = ws.joined(separator: " ")
        case 7: // bytes: flip, delete, insert
            var b = Array(text.utf8)
            guard !b.isEmpty else { return }
            let i = rng.below(b.count)
            switch rng.below(3) {
            case 0: b[i] ^= UInt8(1) << UInt8(rng.below(8))
            case 1: b.removeSubrange(i..<min(b.count, i + 1 + rng.below(12)))
            default: b.insert(contentsOf: [[0x22], [0x5C], [0x28], [0x29], [0xFF], [0xE4, 0xB8, 0xAD], [0x00], [0x0D], [0x7B], [0x7D]][rng.below(10)], at: i)
            }
            text = String(decoding: b, as: UTF8.self)
            return
        case 8: // truncate
            let b = Array(text.utf8)
            text = String(decoding: b.prefix(rng.below(b.count + 1)), as: UTF8.self)
            return
        default: // wrap part of a line in parentheses (moderate nesting)
            let i = rng.below(lines.count)
            let n = 1 + rng.below(30)
            if let r = lines[i].range(of: "where ") {
                lines[i] = String(lines[i][..<r.upperBound]) + String(repeating: "(", count: n) + String(lines[i][r.upperBound...])
                    + String(repeating: ")", count: rng.chance(0.8) ? n : rng.below(n))
            } else {
                lines[i] = String(repeating: "(", count: n) + lines[i]
            }
        }
        text = lines.joined(separator: "\n")
    }
}
