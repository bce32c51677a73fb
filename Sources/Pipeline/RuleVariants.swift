import EventModel
import RuleLanguage

/// Per-village variants of a rule pack, as an operator with per-village
/// thresholds would write them: the benchmark of 1,400 rules (issue 7) and
/// the tests of shared histories use them.
public enum RuleVariants {
    /// `count` copies of every rule of the pack, each pinned to one village
    /// (`village = "…"`) with a name of its own — the per-village variants of issue 7.
    public static func pinnedCopies(of sources: [SourceFile], count: Int, villages: [VillageCode]) -> SourceFile {
        var text = ""
        for src in sources {
            let (syntax, _) = Parser.parse(src)
            for r in syntax.rules {
                let body = src.slice(r.range)
                for i in 0..<count {
                    let v = villages.isEmpty ? "330521101202" : villages[i % villages.count].description
                    var copy = body.replacingOccurrences(of: "rule \(r.name)", with: "rule \(r.name)-v\(i)")
                    // Pin the copy to one village: a `where` right after `on TYPE [as ALIAS]` (it is and-ed with the rule's own).
                    if let t = r.trigger {
                        var at = t.typeRange.end - r.range.start
                        let tail = String(decoding: Array(body.utf8)[at...], as: UTF8.self)
                        if let a = t.alias, let found = tail.range(of: " as \(a)") { at += tail.utf8.distance(from: tail.startIndex, to: found.upperBound) }
                        var bytes = Array(copy.utf8)
                        let shift = copy.utf8.count - body.utf8.count
                        bytes.insert(contentsOf: Array(" where village = \"\(v)\"".utf8), at: at + shift)
                        copy = String(decoding: bytes, as: UTF8.self)
                    }
                    text += copy + "\n\n"
                }
            }
        }
        return SourceFile(path: "<variants>", text: text)
    }
}
