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
/// Taken: 1 alerts and dead letters, 2 ingest offsets and engine
/// checkpoints (streaming), 3 users, sessions and the audit log (analysts'
/// queue), 4 rule versions (rule deploys), 5 database roles (security),
/// 6 evidence compressed with lz4, 7 a redundant index dropped (performance).
/// Take the next number for yours.
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
        Migration(version: 2, name: "ingest_checkpoints_and_offsets", sql: """
            CREATE TABLE ingest_checkpoints (
                group_id    text        NOT NULL,
                shard       text        NOT NULL,
                state       bytea       NOT NULL,
                watermark   timestamptz,
                events      bigint      NOT NULL DEFAULT 0,
                updated_at  timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (group_id, shard)
            );
            CREATE TABLE ingest_offsets (
                group_id    text        NOT NULL,
                shard       text        NOT NULL,
                topic       text        NOT NULL,
                kafka_partition integer NOT NULL,
                next_offset bigint      NOT NULL,
                updated_at  timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (group_id, shard, topic, kafka_partition)
            );
            """),
        Migration(version: 3, name: "analyst_queue", sql: """
            CREATE TABLE users (
                name          text        PRIMARY KEY CONSTRAINT users_name_check CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
                display_name  text        NOT NULL DEFAULT '',
                role          text        NOT NULL CONSTRAINT users_role_check CHECK (role IN ('analyst', 'lead', 'rule_author', 'admin')),
                districts     text[]      NOT NULL CONSTRAINT users_districts_check
                    CHECK (array_to_string(districts, ',') ~ '^([0-9]{6}(,[0-9]{6})*)?$' AND array_position(districts, NULL) IS NULL),
                password_hash text,
                disabled      boolean     NOT NULL DEFAULT false,
                created_at    timestamptz NOT NULL DEFAULT now(),
                updated_at    timestamptz NOT NULL DEFAULT now()
            );

            CREATE TABLE sessions (
                token_hash    bytea       PRIMARY KEY,
                user_name     text        NOT NULL REFERENCES users (name) ON DELETE CASCADE,
                csrf_token    text        NOT NULL,
                created_at    timestamptz NOT NULL DEFAULT now(),
                last_seen_at  timestamptz NOT NULL DEFAULT now(),
                expires_at    timestamptz NOT NULL
            );
            CREATE INDEX sessions_user_idx ON sessions (user_name);

            CREATE TABLE api_tokens (
                id            bigserial   PRIMARY KEY,
                token_hash    bytea       NOT NULL CONSTRAINT api_tokens_hash_key UNIQUE,
                user_name     text        NOT NULL REFERENCES users (name) ON DELETE CASCADE,
                label         text        NOT NULL DEFAULT '',
                created_at    timestamptz NOT NULL DEFAULT now(),
                last_used_at  timestamptz,
                expires_at    timestamptz,
                revoked_at    timestamptz
            );

            CREATE TABLE alert_comments (
                id            bigserial   PRIMARY KEY,
                alert_id      bigint      NOT NULL,
                author        text        NOT NULL,
                body          text        NOT NULL CONSTRAINT alert_comments_body_check CHECK (length(body) BETWEEN 1 AND 10000),
                created_at    timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX alert_comments_alert_idx ON alert_comments (alert_id, id);

            CREATE TABLE audit_log (
                id            bigserial   PRIMARY KEY,
                at            timestamptz NOT NULL DEFAULT clock_timestamp(),
                actor         text        NOT NULL,
                actor_role    text,
                via           text        NOT NULL CONSTRAINT audit_log_via_check CHECK (via IN ('web', 'api', 'cli', 'system')),
                action        text        NOT NULL,
                alert_id      bigint,
                district      text,
                details       jsonb       NOT NULL DEFAULT '{}',
                session_ref   text
            );
            CREATE INDEX audit_log_alert_idx ON audit_log (alert_id, id) WHERE alert_id IS NOT NULL;
            CREATE INDEX audit_log_actor_idx ON audit_log (actor, at DESC);
            CREATE INDEX audit_log_district_idx ON audit_log (district, id DESC);

            CREATE FUNCTION qianliyan_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
            END
            $$;
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
                FOR EACH ROW EXECUTE FUNCTION qianliyan_append_only();
            CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION qianliyan_append_only();
            CREATE TRIGGER alert_comments_append_only BEFORE UPDATE OR DELETE ON alert_comments
                FOR EACH ROW EXECUTE FUNCTION qianliyan_append_only();

            CREATE INDEX alerts_district_queue_idx ON alerts (district, detected_at DESC, id DESC);
            CREATE INDEX alerts_assignee_idx ON alerts (assignee, detected_at DESC, id DESC) WHERE assignee IS NOT NULL;
            """),
        Migration(version: 4, name: "rule_versions", sql: """
            CREATE TABLE rule_versions (
                version          integer     PRIMARY KEY CONSTRAINT rule_versions_version_check CHECK (version > 0),
                hash             text        NOT NULL,
                author           text        NOT NULL,
                created_at       timestamptz NOT NULL DEFAULT now(),
                message          text        NOT NULL DEFAULT '',
                source           text        NOT NULL,
                files            jsonb       NOT NULL DEFAULT '{}',
                rules            jsonb       NOT NULL DEFAULT '[]',
                restores_version integer     REFERENCES rule_versions (version)
            );

            CREATE FUNCTION qianliyan_rule_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'rule_versions is append-only: deploy a new version or roll back instead'
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$;
            CREATE TRIGGER rule_versions_append_only BEFORE UPDATE OR DELETE ON rule_versions
                FOR EACH ROW EXECUTE FUNCTION qianliyan_rule_versions_immutable();
            CREATE TRIGGER rule_versions_no_truncate BEFORE TRUNCATE ON rule_versions
                FOR EACH STATEMENT EXECUTE FUNCTION qianliyan_rule_versions_immutable();

            CREATE FUNCTION qianliyan_rule_versions_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('qianliyan_rules', NEW.version::text);
                RETURN NEW;
            END
            $$;
            CREATE TRIGGER rule_versions_notify AFTER INSERT ON rule_versions
                FOR EACH ROW EXECUTE FUNCTION qianliyan_rule_versions_notify();
            """),
        Migration(version: 5, name: "database_roles", sql: """
            -- Roles of least privilege (NOLOGIN: the operator grants them to login users,
            -- e.g. GRANT qianliyan_web TO queue_login). Roles are cluster-wide: a role that
            -- exists already (another database of the cluster, an earlier run) is kept.
            -- Without CREATEROLE the roles are left to the operator; once they exist,
            -- SELECT qianliyan_grant_roles() (as the owner of the tables) grants them.
            DO $roles$
            DECLARE r text;
            BEGIN
                FOREACH r IN ARRAY ARRAY['qianliyan_worker', 'qianliyan_web', 'qianliyan_rules'] LOOP
                    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
                        BEGIN
                            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
                        EXCEPTION
                            WHEN duplicate_object OR unique_violation THEN NULL;
                            WHEN insufficient_privilege THEN
                                RAISE NOTICE 'role % not created (no CREATEROLE): create it NOLOGIN, then SELECT qianliyan_grant_roles()', r;
                        END;
                    END IF;
                END LOOP;
            END
            $roles$;

            CREATE OR REPLACE FUNCTION qianliyan_grant_roles() RETURNS void LANGUAGE plpgsql AS $grants$
            BEGIN
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'qianliyan_worker') THEN
                    -- ingest: writes alerts and dead letters (through TEMP staging tables), its
                    -- checkpoints and offsets; reads deployed rules. No workflow, users or audit.
                    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO qianliyan_worker', current_database());
                    EXECUTE format('GRANT USAGE ON SCHEMA %I TO qianliyan_worker', current_schema());
                    GRANT SELECT, INSERT ON alerts, dead_letters TO qianliyan_worker;
                    GRANT USAGE ON SEQUENCE alerts_id_seq, dead_letters_id_seq TO qianliyan_worker;
                    GRANT SELECT, INSERT, UPDATE ON ingest_checkpoints, ingest_offsets TO qianliyan_worker;
                    GRANT SELECT ON rule_versions, schema_migrations TO qianliyan_worker;
                END IF;
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'qianliyan_web') THEN
                    -- the analysts' queue: reads alerts, changes only their workflow columns,
                    -- appends comments and audit rows, keeps sessions. Never deletes alerts.
                    EXECUTE format('GRANT CONNECT ON DATABASE %I TO qianliyan_web', current_database());
                    EXECUTE format('GRANT USAGE ON SCHEMA %I TO qianliyan_web', current_schema());
                    GRANT SELECT ON alerts TO qianliyan_web;
                    GRANT UPDATE (status, assignee, disposition, disposition_reason, updated_at) ON alerts TO qianliyan_web;
                    GRANT SELECT, INSERT ON audit_log, alert_comments TO qianliyan_web;
                    GRANT USAGE ON SEQUENCE audit_log_id_seq, alert_comments_id_seq TO qianliyan_web;
                    GRANT SELECT ON users, rule_versions, schema_migrations TO qianliyan_web;
                    GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO qianliyan_web;
                    GRANT SELECT ON api_tokens TO qianliyan_web;
                    GRANT UPDATE (last_used_at) ON api_tokens TO qianliyan_web;
                END IF;
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'qianliyan_rules') THEN
                    -- rule deploys: append rule versions (UPDATE only for the SHARE ROW EXCLUSIVE
                    -- lock of a deploy; the append-only trigger refuses real updates), read the
                    -- dispositions backtests compare with. No alert text, no personal data.
                    EXECUTE format('GRANT CONNECT ON DATABASE %I TO qianliyan_rules', current_database());
                    EXECUTE format('GRANT USAGE ON SCHEMA %I TO qianliyan_rules', current_schema());
                    GRANT SELECT, INSERT, UPDATE ON rule_versions TO qianliyan_rules;
                    GRANT SELECT ON schema_migrations TO qianliyan_rules;
                    GRANT SELECT (rule_id, anchor_event_id, disposition) ON alerts TO qianliyan_rules;
                END IF;
            END
            $grants$;
            SELECT qianliyan_grant_roles();

            -- comments were append-only for UPDATE and DELETE; TRUNCATE too now.
            CREATE TRIGGER alert_comments_no_truncate BEFORE TRUNCATE ON alert_comments
                FOR EACH STATEMENT EXECUTE FUNCTION qianliyan_append_only();
            """),
        Migration(version: 6, name: "evidence_lz4", sql: """
            -- An alert's evidence (≈ 860 bytes of JSON on average) is the one value
            -- PostgreSQL compresses; lz4 does it in a fraction of pglz's time (a
            -- replay of 17,860 alerts: the server's CPU 0.88–1.25 s → 0.71–0.95 s).
            -- Rows written before keep pglz; both read alike. A server built
            -- without lz4 keeps pglz.
            DO $lz4$
            BEGIN
                ALTER TABLE alerts ALTER COLUMN evidence SET COMPRESSION lz4;
            EXCEPTION WHEN feature_not_supported THEN
                RAISE NOTICE 'this server has no lz4: alert evidence stays compressed with pglz';
            END
            $lz4$;
            """),
        Migration(version: 7, name: "drop_redundant_rule_index", sql: """
            -- alerts_rule_anchor_key (rule_id, anchor_event_id) serves every lookup by
            -- rule_id alone as well; keeping alerts_rule_idx cost each written alert one
            -- more B-tree insert (a replay of 17,860 alerts: the server's CPU, median of
            -- five, 890 → 790 ms).
            DROP INDEX IF EXISTS alerts_rule_idx;
            """),
        Migration(version: 8, name: "checkpoint_state_uncompressed", sql: """
            -- A checkpoint's state is zstd-compressed by the worker; PostgreSQL's pglz
            -- ran over each one again (tens of MB every few seconds) and kept it
            -- uncompressed anyway (≈ 1.3 % of all CPU samples of a streaming run).
            -- EXTERNAL: stored out of line, not compressed again.
            ALTER TABLE ingest_checkpoints ALTER COLUMN state SET STORAGE EXTERNAL;
            """),
        Migration(version: 9, name: "login_failures_by_address", sql: """
            -- The per-address login limit counts failed logins in the audit log (each
            -- records the client's address), so that every queue server behind a
            -- balancer sees the same count and a restart forgets none.
            CREATE INDEX audit_log_failed_login_address_idx ON audit_log ((details->>'address'), at)
                WHERE action = 'login_failed';
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
