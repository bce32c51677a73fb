/// Every schema change of the Qianliyan database, in order.
///
/// **To change the schema, append a `Migration` to `all`** with the next
/// free version number, a short snake_case name and its SQL. Never edit or
/// reorder a migration that has shipped: databases that applied it will not
/// run it again. Each migration runs inside one transaction (together with
/// every other pending one), so it must not use statements that refuse
/// transactions (`CREATE INDEX CONCURRENTLY`, `VACUUM`). The runner
/// (``Migrator``) applies every version that `schema_migrations` does not
/// list yet, in ascending order, so versions added on parallel branches
/// apply wherever they land.
///
/// Planned by other parts (take the next number when you add yours):
/// ingest offsets and engine checkpoints (streaming), rule versions,
/// users, sessions and the audit log (analysts' queue).
/// The table layout is described in `docs/alert-schema.md`; update it too.
public enum Migrations {
    /// Every migration; append new ones at the end.
    public static let all: [Migration] = [
        Migration(version: 1, name: "alerts_and_dead_letters", sql: """
            CREATE TABLE alerts (
                id                 bigserial PRIMARY KEY,
                rule_id            text        NOT NULL,
                rule_version       integer     NOT NULL,
                anchor_event_id    text        NOT NULL,
                anchor_time        timestamptz NOT NULL,
                severity           text        NOT NULL
                    CONSTRAINT alerts_severity_check CHECK (severity IN ('low', 'medium', 'high', 'critical')),
                village            text        NOT NULL CONSTRAINT alerts_village_check CHECK (octet_length(village) = 12),
                township           text        NOT NULL CONSTRAINT alerts_township_check CHECK (township = left(village, 9)),
                district           text        NOT NULL CONSTRAINT alerts_district_check CHECK (district = left(village, 6)),
                alert_key          text        NOT NULL,
                evidence_event_ids text[]      NOT NULL,
                first_evidence_at  timestamptz NOT NULL,
                last_evidence_at   timestamptz NOT NULL,
                figures            jsonb       NOT NULL DEFAULT '{}',
                summary_zh         text        NOT NULL,
                summary_en         text        NOT NULL,
                evidence           json        NOT NULL,
                detected_at        timestamptz NOT NULL DEFAULT now(),
                status             text        NOT NULL DEFAULT 'new'
                    CONSTRAINT alerts_status_check CHECK (status IN ('new', 'acknowledged', 'assigned', 'escalated', 'closed')),
                assignee           text,
                disposition        text
                    CONSTRAINT alerts_disposition_check CHECK (disposition IN ('confirmed', 'false_positive', 'duplicate', 'needs_info')),
                disposition_reason text,
                updated_at         timestamptz NOT NULL DEFAULT now(),
                CONSTRAINT alerts_rule_anchor_key UNIQUE (rule_id, anchor_event_id)
            );
            CREATE INDEX alerts_queue_idx ON alerts (detected_at DESC, id DESC);
            CREATE INDEX alerts_district_status_idx ON alerts (district, status, detected_at DESC);
            CREATE INDEX alerts_village_idx ON alerts (village text_pattern_ops);
            CREATE INDEX alerts_rule_idx ON alerts (rule_id);

            CREATE TABLE dead_letters (
                id           bigserial PRIMARY KEY,
                source_kind  text        NOT NULL CONSTRAINT dead_letters_source_kind_check CHECK (source_kind IN ('file', 'kafka')),
                source_name  text        NOT NULL,
                position     bigint      NOT NULL,
                raw          bytea       NOT NULL,
                raw_sha256   bytea       NOT NULL,
                kind         text        NOT NULL,
                reason       text        NOT NULL,
                event_id     text,
                received_at  timestamptz NOT NULL DEFAULT now(),
                CONSTRAINT dead_letters_source_key UNIQUE (source_kind, source_name, position, raw_sha256)
            );
            CREATE INDEX dead_letters_received_idx ON dead_letters (received_at DESC, id DESC);
            CREATE INDEX dead_letters_kind_idx ON dead_letters (kind);
            """),
    ]
}

/// One versioned schema change.
public struct Migration: Sendable, Hashable {
    /// Unique, positive; applied in ascending order.
    public var version: Int
    /// Short snake_case name, recorded in `schema_migrations`.
    public var name: String
    /// One or more `;`-separated statements, run in a transaction.
    public var sql: String

    /// A migration; see ``Migrations`` for the rules.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}
