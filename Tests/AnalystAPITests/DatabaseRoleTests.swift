import AlertStore
@testable import AnalystAPI
import EventModel
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

/// Migration 5: `qianliyan_worker`, `qianliyan_web` and `qianliyan_rules`.
/// Each test logs in as a fresh login role granted one of them and checks
/// that the allowed statements work and the forbidden ones fail with
/// `insufficient_privilege` (42501).
@Suite(.serialized) struct DatabaseRoleTests {
    /// A login role (cluster-wide, so uniquely named) member of `group`, and the URL to connect as it.
    static func login(granted group: String, store: PostgresAlertStore, url: String) async throws -> String {
        let name = "qly_t_" + String(UInt32.random(in: 0...UInt32.max), radix: 16) + "_" + group.replacingOccurrences(of: "qianliyan_", with: "")
        try await store.withConnection { c in _ = try c.executeScript("CREATE ROLE \(name) LOGIN IN ROLE \(group)") }
        let superuser = EmbeddedPostgres.superuser
        if url.contains("user=\(superuser)") { return url.replacingOccurrences(of: "user=\(superuser)", with: "user=\(name)") }
        return url.replacingOccurrences(of: "://\(superuser)@", with: "://\(name)@")
    }

    /// The SQLSTATE of what `sql` throws as `url`'s user; nil when it succeeds.
    static func outcome(_ url: String, _ sql: String, _ params: [String?] = []) -> String? {
        do {
            let c = try PostgresConnection(url)
            defer { c.close() }
            try c.execute(sql, params: params)
            return nil
        } catch let e as PostgresError {
            return e.sqlState ?? "?"
        } catch {
            return "?"
        }
    }

    static func expectAllowed(_ url: String, _ statements: [String], _ role: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for sql in statements {
            let o = outcome(url, sql)
            #expect(o == nil, "\(role) should be allowed: \(sql) (got \(o ?? ""))", sourceLocation: sourceLocation)
        }
    }

    static func expectRefused(_ url: String, _ statements: [String], _ role: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for sql in statements {
            let o = outcome(url, sql)
            #expect(o == "42501", "\(role) should be refused: \(sql) (got \(o ?? "success"))", sourceLocation: sourceLocation)
        }
    }

    @Test func rolesExistNologinAndTheMigrationIsRepeatable() async throws {
        try await TestPostgres.withStore { store, _ in
            let rows = try await store.withConnection { c in
                try c.execute("SELECT rolname, rolcanlogin, rolsuper, rolcreaterole FROM pg_roles WHERE rolname LIKE 'qianliyan\\_%' ORDER BY 1").rows
            }
            #expect(rows == [["qianliyan_rules", "f", "f", "f"], ["qianliyan_web", "f", "f", "f"], ["qianliyan_worker", "f", "f", "f"]])
            // roles are cluster-wide: another database migrates with them already there, and grants again
            try await TestPostgres.withStore { other, _ in
                let v = try await other.withConnection { c in try c.execute("SELECT max(version) FROM schema_migrations").scalar }
                #expect(Int(v ?? "0") ?? 0 >= 5)
                try await other.withConnection { c in _ = try c.execute("SELECT qianliyan_grant_roles()") }
            }
            // the comments table refuses TRUNCATE, like the audit log
            await #expect(throws: PostgresError.self) { try await store.withConnection { c in try c.execute("TRUNCATE alert_comments") } }
        }
    }

    /// docker-compose.yml's `deploy/postgres-init/10-qianliyan-roles.sh`: a login role in each
    /// group for the services, made again without error (new passwords) when run twice.
    @Test func composeInitScriptMakesALoginRoleInEachGroup() async throws {
        try await TestPostgres.withStore { store, url in
            let parts = URLComponents(string: url)
            func item(_ name: String) -> String? { parts?.queryItems?.first { $0.name == name }?.value }
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("deploy/postgres-init/10-qianliyan-roles.sh").path
            func run(_ passwords: [String: String]) throws -> Int32 {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/bin/sh")
                p.arguments = [script]
                var env = ProcessInfo.processInfo.environment
                env["PGHOST"] = item("host")
                env["PGPORT"] = item("port")
                env["POSTGRES_USER"] = item("user") ?? EmbeddedPostgres.superuser
                env["POSTGRES_DB"] = String((parts?.path ?? "/").dropFirst())
                for (k, v) in passwords { env[k] = v }
                p.environment = env
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                try p.run()
                p.waitUntilExit()
                return p.terminationStatus
            }
            #expect(try run(["QIANLIYAN_WORKER_PASSWORD": "w'1", "QIANLIYAN_QUEUE_PASSWORD": "q1", "QIANLIYAN_RULES_PASSWORD": "r1"]) == 0)
            #expect(try run(["QIANLIYAN_WORKER_PASSWORD": "w2", "QIANLIYAN_QUEUE_PASSWORD": "q2", "QIANLIYAN_RULES_PASSWORD": "r2"]) == 0)
            let rows = try await store.withConnection { c in
                try c.execute("""
                    SELECT r.rolname, r.rolcanlogin, r.rolsuper, g.rolname, r.rolpassword LIKE 'SCRAM-SHA-256$%'
                    FROM pg_authid r JOIN pg_auth_members m ON m.member = r.oid JOIN pg_roles g ON g.oid = m.roleid
                    WHERE r.rolname IN ('qly_worker', 'qly_queue', 'qly_rules') ORDER BY 1
                    """).rows
            }
            #expect(rows == [["qly_queue", "t", "f", "qianliyan_web", "t"], ["qly_rules", "t", "f", "qianliyan_rules", "t"],
                             ["qly_worker", "t", "f", "qianliyan_worker", "t"]])
            // The worker's login writes what a worker writes and nothing else.
            let worker = url.replacingOccurrences(of: "user=\(item("user") ?? EmbeddedPostgres.superuser)", with: "user=qly_worker")
            #expect(worker.contains("user=qly_worker"))
            DatabaseRoleTests.expectAllowed(worker, [
                "INSERT INTO dead_letters (source_kind, source_name, position, raw, raw_sha256, kind, reason) VALUES ('kafka', 't/0', 1, 'x', sha256('x'), 'bad_json', 'r')",
            ], "qly_worker")
            DatabaseRoleTests.expectRefused(worker, ["DELETE FROM alerts", "SELECT * FROM users"], "qly_worker")
        }
    }

    @Test func workerInsertsAlertsButNeverTouchesWorkflowOrAudit() async throws {
        try await TestPostgres.withStore { store, url in
            let worker = try await DatabaseRoleTests.login(granted: "qianliyan_worker", store: store, url: url)
            // allowed: the worker's own writes, both paths (INSERT and COPY through a TEMP table)
            let c = try PostgresConnection(worker)
            defer { c.close() }
            try c.write(alerts: [Fixtures.alert(1)], deadLetters: [], copyThreshold: 100)
            try c.write(alerts: (2..<6).map { Fixtures.alert($0) }, deadLetters: [], copyThreshold: 1)
            try c.write(alerts: [Fixtures.alert(1)], deadLetters: [], copyThreshold: 100)  // a replayed duplicate: ON CONFLICT DO NOTHING
            #expect(try c.execute("SELECT count(*) FROM alerts").scalar == "5")
            _ = try Migrator().migrate(c)  // up to date: a read-only check, no DDL
            DatabaseRoleTests.expectAllowed(worker, [
                "INSERT INTO dead_letters (source_kind, source_name, position, raw, raw_sha256, kind, reason) VALUES ('kafka', 't/0', 1, 'x', sha256('x'), 'bad_json', 'r')",
                """
                INSERT INTO ingest_checkpoints (group_id, shard, state, events) VALUES ('g', 's', 'x', 1)
                ON CONFLICT (group_id, shard) DO UPDATE SET state = EXCLUDED.state, events = ingest_checkpoints.events + EXCLUDED.events
                """,
                "INSERT INTO ingest_checkpoints (group_id, shard, state, events) VALUES ('g', 's', 'y', 1) ON CONFLICT (group_id, shard) DO UPDATE SET state = EXCLUDED.state",
                "INSERT INTO ingest_offsets (group_id, shard, topic, kafka_partition, next_offset) VALUES ('g', 's', 't', 0, 5) ON CONFLICT (group_id, shard, topic, kafka_partition) DO UPDATE SET next_offset = EXCLUDED.next_offset",
                "SELECT max(version) FROM rule_versions", "SELECT version FROM schema_migrations",
                "SELECT pg_try_advisory_lock(42)", "LISTEN qianliyan_rules",
            ], "worker")
            DatabaseRoleTests.expectRefused(worker, [
                "UPDATE alerts SET status = 'closed'", "UPDATE alerts SET disposition = 'false_positive', disposition_reason = 'x'",
                "UPDATE alerts SET assignee = 'x'", "UPDATE alerts SET summary_zh = 'x'", "DELETE FROM alerts", "TRUNCATE alerts",
                "DELETE FROM dead_letters", "UPDATE dead_letters SET reason = 'x'",
                "INSERT INTO audit_log (actor, via, action) VALUES ('worker', 'system', 'x')", "SELECT * FROM audit_log",
                "UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log",
                "SELECT * FROM users", "SELECT * FROM sessions", "SELECT * FROM api_tokens",
                "INSERT INTO alert_comments (alert_id, author, body) VALUES (1, 'w', 'x')",
                "INSERT INTO rule_versions (version, hash, author, source) VALUES (99, 'h', 'w', 'x')",
                "CREATE TABLE worker_table (x int)", "DROP TABLE alerts", "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
            ], "worker")
        }
    }

    @Test func webUpdatesWorkflowColumnsAppendsAuditAndNeverDeletes() async throws {
        try await TestPostgres.withStore { store, url in
            try await store.write(alerts: (0..<4).map { Fixtures.alert($0) })
            let webURL = try await DatabaseRoleTests.login(granted: "qianliyan_web", store: store, url: url)
            DatabaseRoleTests.expectAllowed(webURL, [
                "SELECT count(*) FROM alerts", "UPDATE alerts SET status = 'acknowledged', updated_at = now() WHERE id = 1",
                "UPDATE alerts SET assignee = NULL, disposition = NULL, disposition_reason = NULL WHERE id = 1",
                "INSERT INTO audit_log (actor, via, action) VALUES ('web', 'web', 'test')",
                "INSERT INTO alert_comments (alert_id, author, body) VALUES (1, 'web', 'x')", "SELECT * FROM audit_log",
                "SELECT name, password_hash FROM users", "DELETE FROM sessions WHERE expires_at < now()",
                "UPDATE api_tokens SET last_used_at = now() WHERE id = -1", "SELECT row_to_json(r)::text FROM rule_versions r",
            ], "web")
            DatabaseRoleTests.expectRefused(webURL, [
                "DELETE FROM alerts", "TRUNCATE alerts", "UPDATE alerts SET summary_zh = 'x'", "UPDATE alerts SET evidence = '[]'",
                "UPDATE alerts SET district = '110101'", "UPDATE alerts SET rule_id = 'x'", "UPDATE alerts SET figures = '{}'",
                "INSERT INTO alerts (rule_id) VALUES ('x')",
                "UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                "UPDATE alert_comments SET body = 'x'", "DELETE FROM alert_comments", "TRUNCATE alert_comments",
                "INSERT INTO users (name, role, districts) VALUES ('x', 'admin', '{330521}')", "UPDATE users SET role = 'admin'",
                "UPDATE users SET districts = '{110101}'", "DELETE FROM users",
                "INSERT INTO api_tokens (token_hash, user_name) VALUES ('x', 'ana')", "UPDATE api_tokens SET revoked_at = NULL",
                "SELECT * FROM ingest_checkpoints", "SELECT * FROM dead_letters",
                "INSERT INTO rule_versions (version, hash, author, source) VALUES (99, 'h', 'w', 'x')",
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only", "CREATE TABLE web_table (x int)",
            ], "web")
            // the whole queue runs as the web role: login, read, act, comment, reveal, export, logout
            let admin = AnalystServer(databaseURL: url, config: AnalystServerConfig(bcryptCost: 4, connections: 1))
            try await admin.users.addUser(AnalystUser(name: "ana", role: .lead, districts: ["330521"]), password: Fixtures.password, actor: "test")
            await admin.database.close()
            let server = AnalystServer(databaseURL: webURL, config: AnalystServerConfig(bcryptCost: 4, connections: 2))
            try await server.prepare()
            try await server.application().test(.router) { client in
                var b = Browser(client)
                #expect(try await b.login("ana").status == .seeOther)
                #expect(try await b.get("/api/alerts").json?["alerts"]?.elements.count == 4)
                #expect(try await b.postJSON("/api/alerts/2/acknowledge").status == .ok)
                #expect(try await b.postJSON("/api/alerts/2/comment", #"{"body":"as the web role"}"#).status == .ok)
                #expect(try await b.postJSON("/api/alerts/2/close", #"{"disposition":"confirmed","reason":"ok"}"#).status == .ok)
                #expect(try await b.postJSON("/api/alerts/2/reopen", #"{"reason":"again"}"#).status == .ok)
                #expect(try await b.postJSON("/api/alerts/3/reveal").status == .ok)
                #expect(try await b.get("/api/alerts/export.csv").status == .ok)
                #expect(try await b.get("/alerts/2").status == .ok)
                #expect(try await b.get("/overview").status == .ok)
                #expect(try await b.post("/logout").status == .seeOther)
                for i in 0..<3 {
                    var wrong = Browser(client)
                    _ = try await wrong.login("ana", password: "wrong \(i)")
                }
            }
            await server.database.close()
            let actions = try await store.withConnection { c in
                try c.execute("SELECT action FROM audit_log WHERE actor = 'ana' ORDER BY id").rows.compactMap { $0[0] }
            }
            #expect(actions.starts(with: ["login", "acknowledge", "comment", "close", "reopen", "reveal", "export", "logout"]))
            #expect(actions.filter { $0 == "login_failed" }.count == 3)
        }
    }

    @Test func rulesRoleAppendsVersionsOnly() async throws {
        try await TestPostgres.withStore { store, url in
            try await store.write(alerts: [Fixtures.alert(1)])
            let rules = try await DatabaseRoleTests.login(granted: "qianliyan_rules", store: store, url: url)
            let c = try PostgresConnection(rules)
            defer { c.close() }
            try c.transaction { t in
                try t.execute("LOCK TABLE rule_versions IN SHARE ROW EXCLUSIVE MODE")
                try t.execute("INSERT INTO rule_versions (version, hash, author, source) VALUES (1, 'h', 'zhang', 'rule x\nend')")
            }
            DatabaseRoleTests.expectAllowed(rules, ["SELECT max(version) FROM rule_versions", "SELECT rule_id, anchor_event_id, disposition FROM alerts"], "rules")
            DatabaseRoleTests.expectRefused(rules, [
                "UPDATE rule_versions SET source = 'x'", "DELETE FROM rule_versions", "TRUNCATE rule_versions",
                "SELECT summary_zh FROM alerts", "SELECT evidence FROM alerts", "SELECT * FROM alerts", "UPDATE alerts SET status = 'closed'",
                "SELECT * FROM audit_log", "SELECT * FROM users", "INSERT INTO alerts (rule_id) VALUES ('x')",
            ], "rules")
        }
    }

    /// The owner of the tables (the migration user) cannot rewrite the audit
    /// trail through SQL either: the triggers refuse it.
    @Test func auditLogIsAppendOnlyEvenForTheOwner() async throws {
        try await TestPostgres.withStore { store, url in
            try await store.withConnection { c in
                try c.execute("INSERT INTO audit_log (actor, via, action) VALUES ('x', 'cli', 'test')")
                try c.execute("INSERT INTO alert_comments (alert_id, author, body) VALUES (1, 'x', 'y')")
                try c.execute("INSERT INTO rule_versions (version, hash, author, source) VALUES (1, 'h', 'x', 'rule x\nend')")
            }
            DatabaseRoleTests.expectRefused(url, [
                "UPDATE audit_log SET actor = 'y'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                "UPDATE alert_comments SET body = 'z'", "DELETE FROM alert_comments", "TRUNCATE alert_comments",
                "UPDATE rule_versions SET author = 'x'", "DELETE FROM rule_versions", "TRUNCATE rule_versions",
            ], "owner")
        }
    }
}
