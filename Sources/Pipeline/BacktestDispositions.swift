import AlertStore
import EventModel

/// Analysts' dispositions of stored alerts (`alerts.disposition`), for the
/// backtest and sweep reports.
public enum BacktestDispositions {
    /// Disposition by alert identity, for the alerts of `rules` that have one.
    public static func load(_ connection: PostgresConnection, rules: [String]) throws -> [AlertIdentity: String] {
        guard try connection.execute("SELECT to_regclass('alerts') IS NOT NULL").scalar == "t" else { return [:] }
        let rows = try connection.execute("""
            SELECT rule_id, anchor_event_id, disposition FROM alerts
            WHERE disposition IS NOT NULL AND rule_id = ANY($1::text[])
            """, params: [PostgresText.arrayLiteral(rules)]).rows
        var out: [AlertIdentity: String] = [:]
        for r in rows {
            guard let rule = r[0], let anchor = r[1], let d = r[2] else { continue }
            out[AlertIdentity(ruleID: rule, anchorEventID: anchor)] = d
        }
        return out
    }
}
