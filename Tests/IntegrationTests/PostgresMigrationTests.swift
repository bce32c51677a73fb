import AlertStore
import TestSupport
import Testing

@Suite("Postgres migrations")
struct PostgresMigrationTests {
    @Test func migrationsAreIdempotent() async throws {
        try await TestPostgres.withDatabase { url in
            let store = PostgresAlertStore(url: url, logger: TestPostgres.logger)
            let first = try await store.migrate()
            #expect(first == Migrations.all.map(\.version))
            let second = try await store.migrate()
            #expect(second.isEmpty)
            let versions = try await store.withConnection { c in try Migrator().appliedVersions(c) }
            #expect(versions == Migrations.all.map(\.version))
            await store.close()
        }
    }

    /// Migration 6: new evidence is compressed with lz4 (Debian's server has it), and reads back byte for byte.
    @Test func evidenceIsCompressedWithLZ4() async throws {
        try await TestPostgres.withDatabase { url in
            let store = PostgresAlertStore(url: url, logger: TestPostgres.logger)
            try await store.migrate()
            let (method, roundTrip) = try await store.withConnection { c in
                let m = try c.execute("SELECT attcompression FROM pg_attribute WHERE attrelid = 'alerts'::regclass AND attname = 'evidence'").scalar
                try c.executeScript("CREATE TEMP TABLE t (j json); ALTER TABLE t ALTER COLUMN j SET COMPRESSION lz4")
                let big = "[" + (0..<400).map { #"{"event_id": "e\#($0)", "amount": \#($0)}"# }.joined(separator: ",") + "]"
                try c.execute("INSERT INTO t VALUES ($1::json)", params: [big])
                let back = try c.execute("SELECT j::text = $1, pg_column_compression(j) FROM t", params: [big]).rows.first
                return (m, back)
            }
            #expect(method == "l")
            #expect(roundTrip?[0] == "t" && roundTrip?[1] == "lz4")
            await store.close()
        }
    }

    /// Migration 8: a checkpoint's (already compressed) state is stored out of line as it is.
    @Test func checkpointStateIsNotCompressedAgain() async throws {
        try await TestPostgres.withDatabase { url in
            let store = PostgresAlertStore(url: url, logger: TestPostgres.logger)
            try await store.migrate()
            let (storage, compression) = try await store.withConnection { c in
                let st = try c.execute("SELECT attstorage FROM pg_attribute WHERE attrelid = 'ingest_checkpoints'::regclass AND attname = 'state'").scalar
                // Compressible bytes that pglz would shrink: stored as they are.
                try c.execute("INSERT INTO ingest_checkpoints (group_id, shard, state) VALUES ('g', 's', decode(repeat('00', 100000), 'hex'))")
                let m = try c.execute("SELECT coalesce(pg_column_compression(state), 'none') || ' ' || octet_length(state) FROM ingest_checkpoints").scalar
                return (st, m)
            }
            #expect(storage == "e")
            #expect(compression == "none 100000")
            await store.close()
        }
    }

    @Test func concurrentMigrationsDoNotRace() async throws {
        try await TestPostgres.withDatabase { url in
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let store = PostgresAlertStore(url: url, logger: TestPostgres.logger)
                        let v = try await store.migrate()
                        await store.close()
                        return v
                    }
                }
                return try await group.reduce(into: [[Int]]()) { $0.append($1) }
            }
            #expect(applied.filter { !$0.isEmpty } == [Migrations.all.map(\.version)])
            let store = PostgresAlertStore(url: url, logger: TestPostgres.logger)
            let count = try await store.withConnection { c in try c.execute("SELECT count(*) FROM schema_migrations").scalar }
            #expect(count == String(Migrations.all.count))
            await store.close()
        }
    }

    @Test func laterMigrationsApplyOnTopAndOutOfOrder() async throws {
        try await TestPostgres.withDatabase { url in
            let store = PostgresAlertStore(url: url, logger: TestPostgres.logger)
            try await store.migrate()
            let extra = [
                Migration(version: 1_000, name: "ingest_offsets", sql: "CREATE TABLE test_offsets (topic text, partition int, next_offset bigint)"),
                Migration(version: 900, name: "rule_versions", sql: "CREATE TABLE test_rules (name text); CREATE INDEX ON test_rules (name)"),
            ]
            #expect(try await store.migrate(Migrations.all + extra) == [900, 1_000])
            #expect(try await store.migrate(Migrations.all + extra).isEmpty)
            await store.close()
        }
    }

    @Test func aFailingMigrationLeavesNothing() async throws {
        try await TestPostgres.withDatabase { url in
            let store = PostgresAlertStore(url: url, logger: TestPostgres.logger)
            let broken = Migrations.all + [Migration(version: 999, name: "broken", sql: "CREATE TABLE ok_table (x int); SELECT nope")]
            await #expect(throws: PostgresError.self) { try await store.migrate(broken) }
            let tables = try await store.withConnection { c in
                try c.execute("SELECT count(*) FROM pg_tables WHERE tablename IN ('alerts', 'ok_table', 'schema_migrations')").scalar
            }
            #expect(tables == "0")
            #expect(try await store.migrate() == Migrations.all.map(\.version))
            await store.close()
        }
    }
}
