import DetectionRuntime
import EventModel
import RuleCompiler

/// Runs `.cases` files against a compiled rule set, with replay semantics:
/// deduplicate in file order, sort into the total order, evaluate, and at
/// the end let the watermark reach the last event time.
public struct CaseRunner {
    public let ruleSet: CompiledRuleSet
    public let baseTables: [String: String]

    public init(ruleSet: CompiledRuleSet, baseTables: [String: String] = [:]) {
        self.ruleSet = ruleSet
        self.baseTables = baseTables
    }

    public struct Failure: Sendable, CustomStringConvertible {
        public var path: String
        public var line: Int
        public var caseName: String
        public var message: String
        public var description: String { "\(path):\(line): case '\(caseName)': \(message)" }
    }

    public struct Report: Sendable {
        public var cases = 0
        public var passed = 0
        public var failures: [Failure] = []
        /// rule → (cases that expect it to fire, cases that expect it not to)
        public var coverage: [String: (fires: Int, silent: Int)] = [:]
        public init() {}
    }

    /// The outcome of feeding a list of raw events through the rules.
    public struct Outcome {
        public var alerts: [Alert]
        public var deadLetters: [(index: Int, error: DecodeError)]
    }

    /// Runs raw JSON events with replay semantics.
    public func evaluate(_ raws: [String], tables: ReferenceTables) -> Outcome {
        let decoder = EventDecoder()
        var dedupe = Deduplicator()
        var events: [Event] = []
        var dead: [(Int, DecodeError)] = []
        for (i, r) in raws.enumerated() {
            switch decoder.decode(Array(r.utf8)) {
            case .event(let e): if dedupe.firstSighting(of: e) { events.append(e) }
            case .invalid(let err): dead.append((i, err))
            case .blank: break
            }
        }
        events.sort { $0.precedes($1) }
        let engine = Engine(ruleSet: ruleSet, tables: tables)
        for e in events { engine.process(e) }
        if let last = events.last { engine.finish(lastEventTime: last.time) }
        return Outcome(alerts: engine.alerts, deadLetters: dead)
    }

    public func run(_ file: CaseFile, into report: inout Report) {
        let defaultRule = file.rule
        for c in file.cases {
            report.cases += 1
            let ruleName = c.rule ?? defaultRule
            var failed: [Failure] = []
            func fail(_ line: Int, _ m: String) { failed.append(Failure(path: file.path, line: line, caseName: c.name, message: m)) }
            var tablesText = baseTables.merging(file.tables) { $1 }
            tablesText.merge(c.tables) { $1 }
            let tables: ReferenceTables
            do {
                func t(_ n: String) throws -> CSVTable? { try tablesText[n].map { try CSVTable(parsing: $0) } }
                tables = try ReferenceTables(people: try t("people"), vendors: try t("vendors"),
                                             referencePrices: try t("reference_prices"), villageLimits: try t("village_limits"))
            } catch {
                fail(c.line, "reference tables: \(error)")
                report.failures += failed
                continue
            }
            let outcome = evaluate(c.events.map { file.merged($0.json) }, tables: tables)
            for e in c.expectations {
                guard let rn = e.rule ?? ruleName else {
                    fail(e.line, "which rule? add 'rule NAME' at the top of the file or to the expectation")
                    continue
                }
                if ruleSet.rule(named: rn) == nil { fail(e.line, "no rule named '\(rn)'"); continue }
                let anchors = Set(outcome.alerts.filter { $0.ruleID == rn }.map(\.anchorEventID))
                switch e.kind {
                case .fire:
                    report.coverage[rn, default: (0, 0)].fires += 1
                    for id in e.ids where !anchors.contains(id) {
                        fail(e.line, "expected \(rn) to fire at \(id); it fired at [\(anchors.sorted().joined(separator: ", "))]")
                    }
                case .nofire:
                    report.coverage[rn, default: (0, 0)].silent += 1
                    for id in e.ids where anchors.contains(id) { fail(e.line, "expected \(rn) not to fire at \(id), but it did") }
                case .alerts:
                    if e.ids.isEmpty { report.coverage[rn, default: (0, 0)].silent += 1 } else { report.coverage[rn, default: (0, 0)].fires += 1 }
                    if anchors != Set(e.ids) {
                        fail(e.line, "expected \(rn) alerts at [\(e.ids.sorted().joined(separator: ", "))], got [\(anchors.sorted().joined(separator: ", "))]")
                    }
                case .deadLetters:
                    let want = Int(e.ids.first ?? "") ?? -1
                    if outcome.deadLetters.count != want {
                        fail(e.line, "expected \(e.ids.first ?? "?") dead letters, got \(outcome.deadLetters.count): \(outcome.deadLetters.map(\.error.description).joined(separator: "; "))")
                    }
                }
            }
            if failed.isEmpty { report.passed += 1 } else { report.failures += failed }
        }
    }
}
