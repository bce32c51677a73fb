import AlertStore
import ArgumentParser
import EventModel
import Foundation

/// `qianliyan alerts list|show|export`: read alerts back from PostgreSQL.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List, show and export alerts from the database.",
        discussion: prose("""
        Examples:
          qianliyan alerts list --rule split-payments --township 330521101
          qianliyan alerts list --status new --since 2023-03-01 --limit 20
          qianliyan alerts show 42
          qianliyan alerts export --format csv --district 330521 > alerts.csv
        """),
        subcommands: [List.self, Show.self, Export.self]
    )
}

/// Filters shared by list and export.
struct AlertFilterOptions: ParsableArguments {
    @Option(help: "Rule id (repeatable).") var rule: [String] = []
    @Option(help: "12-digit village code (repeatable).") var village: [String] = []
    @Option(help: "9-digit township code (repeatable).") var township: [String] = []
    @Option(help: "6-digit district code (repeatable).") var district: [String] = []
    @Option(help: "Status: new, acknowledged, assigned, escalated, closed (repeatable).") var status: [String] = []
    @Option(help: "Severity: low, medium, high, critical (repeatable).") var severity: [String] = []
    @Option(help: "Anchor events from this local date (YYYY-MM-DD) on.") var since: String?
    @Option(help: "Anchor events before this local date (YYYY-MM-DD).") var until: String?
    @Option(help: "Text in the summary or key.") var text: String?

    func validate() throws {
        for s in status where !AlertStatus.all.contains(AlertStatus(rawValue: s)) { throw ValidationError("unknown status '\(s)'") }
        for s in severity where Severity(rawValue: s) == nil { throw ValidationError("unknown severity '\(s)'") }
        for d in [since, until].compactMap({ $0 }) where Timestamp.parseDate(d) == nil { throw ValidationError("'\(d)' is not a YYYY-MM-DD date") }
        for (name, codes, len) in [("village", village, 12), ("township", township, 9), ("district", district, 6)] {
            for c in codes where c.count != len || !c.allSatisfy(\.isNumber) { throw ValidationError("a \(name) code has \(len) digits: '\(c)'") }
        }
    }

    var filter: AlertFilter {
        AlertFilter(ruleIDs: rule, districts: district, townships: township, villages: village,
                    statuses: status.map { AlertStatus(rawValue: $0) }, severities: severity.compactMap { Severity(rawValue: $0) },
                    timeField: .anchorTime,
                    from: since.flatMap { Timestamp.parseDate($0) }.map { ShanghaiTime.startOfDay($0) },
                    until: until.flatMap { Timestamp.parseDate($0) }.map { ShanghaiTime.startOfDay($0) },
                    text: text)
    }
}

extension AlertsCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List alerts, newest first.")
        @OptionGroup var db: DatabaseOptions
        @OptionGroup var filters: AlertFilterOptions
        @Option(help: "How many.") var limit = 50
        @Flag(help: "English summaries.") var english = false

        func run() async throws {
            let store = try await db.store(announce: false)
            let rows = try await store.alerts(filter: filters.filter, limit: limit)
            let total = try await store.countAlerts(filter: filters.filter)
            await store.close()
            print("id".padding(toLength: 8, withPad: " ", startingAt: 0) + "rule".padding(toLength: 32, withPad: " ", startingAt: 0)
                  + "sev".padding(toLength: 9, withPad: " ", startingAt: 0) + "village       status        summary")
            for a in rows {
                print(String(a.id).padding(toLength: 8, withPad: " ", startingAt: 0) + a.ruleID.padding(toLength: 32, withPad: " ", startingAt: 0)
                      + a.severity.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0) + a.village.description + "  "
                      + a.status.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0) + (english ? a.summaryEN : a.summaryZH))
            }
            print("\(rows.count) of \(total) alerts")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one alert: figures, evidence, status.")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "Alert id (from `alerts list`).") var id: Int64

        func run() async throws {
            let store = try await db.store(announce: false)
            guard let a = try await store.alert(id: id) else {
                await store.close()
                FileHandle.standardError.write("no alert \(id)\n")
                throw ExitCode(1)
            }
            await store.close()
            print("""
            alert \(a.id)  \(a.ruleID) v\(a.ruleVersion)  [\(a.severity.rawValue)]  \(a.status.rawValue)\(a.assignee.map { " → \($0)" } ?? "")
            \(a.summaryZH)
            \(a.summaryEN)
            village   \(a.village) (township \(a.township), district \(a.district))
            key       \(a.key)
            anchor    \(a.anchorEventID) at \(ShanghaiTime.format(a.anchorTime))
            evidence  \(a.evidenceEventIDs.joined(separator: ", "))
                      \(ShanghaiTime.format(a.firstEvidenceAt)) … \(ShanghaiTime.format(a.lastEvidenceAt))
            figures   \(a.figuresJSON)
            """)
            if let d = a.disposition { print("disposition \(d.rawValue)\(a.dispositionReason.map { ": \($0)" } ?? "")") }
            if let ev = a.evidenceJSON { print("events    \(ev)") }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export alerts as CSV or JSON Lines on stdout.")
        enum Format: String, ExpressibleByArgument { case csv, json }
        @OptionGroup var db: DatabaseOptions
        @OptionGroup var filters: AlertFilterOptions
        @Option(help: "csv or json (one JSON object per line).") var format: Format = .csv

        func run() async throws {
            let store = try await db.store(announce: false)
            if format == .csv {
                print("id,rule_id,rule_version,severity,anchor_event_id,anchor_time,village,township,district,key,status,assignee,disposition,summary_zh,summary_en,figures")
            }
            var cursor: AlertCursor? = nil
            while true {
                let page = try await store.alerts(filter: filters.filter, limit: 1000, after: cursor)
                for a in page {
                    switch format {
                    case .csv:
                        let cells = [String(a.id), a.ruleID, String(a.ruleVersion), a.severity.rawValue, a.anchorEventID, ShanghaiTime.format(a.anchorTime),
                                     a.village.description, a.township, a.district, a.key, a.status.rawValue, a.assignee ?? "",
                                     a.disposition?.rawValue ?? "", a.summaryZH, a.summaryEN, a.figuresJSON]
                        print(cells.map(csvCell).joined(separator: ","))
                    case .json:
                        print("{\"id\":\(a.id),\"rule_id\":\(jsonQuote(a.ruleID)),\"rule_version\":\(a.ruleVersion),\"severity\":\(jsonQuote(a.severity.rawValue)),"
                              + "\"anchor_event_id\":\(jsonQuote(a.anchorEventID)),\"anchor_time\":\(jsonQuote(ShanghaiTime.format(a.anchorTime))),"
                              + "\"village\":\(jsonQuote(a.village.description)),\"key\":\(jsonQuote(a.key)),\"status\":\(jsonQuote(a.status.rawValue)),"
                              + "\"evidence_event_ids\":[\(a.evidenceEventIDs.map(jsonQuote).joined(separator: ","))],"
                              + "\"summary_zh\":\(jsonQuote(a.summaryZH)),\"summary_en\":\(jsonQuote(a.summaryEN)),\"figures\":\(a.figuresJSON)}")
                    }
                }
                guard page.count == 1000, let last = page.last else { break }
                cursor = AlertCursor(detectedAt: last.detectedAt, id: last.id)
            }
            await store.close()
        }
    }
}

func csvCell(_ s: String) -> String {
    if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return s
}
