// libFuzzer harness: the rule language (lexer, recovering parser, checks,
// lowering) over arbitrary text. Any input must give a rule set or
// diagnostics with valid positions — never a trap. Also checked: every
// diagnostic renders, a file that fails to compile has an error, and a
// compiled rule set's rules are named and unique.
import EventModel
import RuleCompiler
import RuleLanguage

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

func fail(_ message: String) -> Never {
    fputs("FuzzRules invariant broken: \(message)\n", stderr)
    abort()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRules(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    let file = SourceFile(path: "fuzz.rule", text: String(decoding: bytes, as: UTF8.self))
    let lines = file.text.utf8.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }

    let (_, parseDiagnostics) = Parser.parse(file)
    let out = RuleSetCompiler.compile([file])
    for d in parseDiagnostics + out.diagnostics {
        if d.line < 1 || d.line > lines { fail("diagnostic \(d.code) at line \(d.line) of \(lines)") }
        if d.column < 1 { fail("diagnostic \(d.code) at column \(d.column)") }
        if d.range.start < 0 || d.range.start > file.bytes.count || d.range.end > file.bytes.count {
            fail("diagnostic \(d.code) range \(d.range.start)..<\(d.range.end) outside \(file.bytes.count) bytes")
        }
        if d.message.isEmpty { fail("diagnostic \(d.code) without a message") }
        _ = d.rendered(source: file)
    }
    if parseDiagnostics.hasErrors && out.ruleSet != nil { fail("a file with syntax errors compiled") }
    if out.ruleSet == nil && !out.diagnostics.hasErrors { fail("no rule set and no error") }
    if let rs = out.ruleSet {
        let names = rs.rules.map(\.name)
        if Set(names).count != names.count { fail("duplicate rule names compiled") }
        if names.contains(where: \.isEmpty) { fail("a rule without a name") }
    }
    return 0
}
