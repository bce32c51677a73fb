import EventModel
import Foundation
import Testing

/// The production topology in `docker-compose.yml` (and the `Dockerfile`),
/// checked offline: no Docker engine, no network. The line-based checks run
/// everywhere; a full YAML check runs when `python3` with PyYAML is present,
/// and Compose's own `config -q` when `docker-compose` (v1) or `docker compose`
/// is installed (`deploy/check-compose.sh` does the same by hand).
@Suite("Deployment files")
struct DeploymentFilesTests {
    // MARK: line-based checks (always)

    @Test("kafka: the official Apache Kafka image in KRaft mode, with a health check")
    func kafkaService() throws {
        let compose = try DeploymentFiles.compose()
        let kafka = try compose.service("kafka")
        #expect(kafka.value(of: "image")?.hasPrefix("apache/kafka:") == true)
        #expect(kafka.value(of: "KAFKA_PROCESS_ROLES")?.contains("controller") == true, "KRaft: the broker is its own controller")
        #expect(kafka.value(of: "KAFKA_CONTROLLER_QUORUM_VOTERS") != nil)
        #expect(kafka.value(of: "KAFKA_ZOOKEEPER_CONNECT") == nil)
        #expect(kafka.value(of: "KAFKA_AUTO_CREATE_TOPICS_ENABLE")?.contains("false") == true,
                "topics come only from kafka-init, with equal partition counts")
        #expect(kafka.text.contains("healthcheck:"))
        #expect(kafka.text.contains("KAFKA_ADVERTISED_LISTENERS: PLAINTEXT://kafka:9092"))
    }

    @Test("kafka-init: the five village topics, one partition count for all of them")
    func topicCreation() throws {
        let compose = try DeploymentFiles.compose()
        let initJob = try compose.service("kafka-init")
        let topics = (initJob.value(of: "TOPICS") ?? "").split(separator: " ").map(String.init)
        #expect(Set(topics) == Set(EventType.topics), "the topics the workers subscribe to")
        #expect(topics.count == 5)
        for topic in ["village.finance", "village.procurement", "village.labor", "village.lease", "village.seal"] {
            #expect(topics.contains(topic))
        }
        // One TOPIC_PARTITIONS setting is the partition count of every topic.
        #expect(initJob.lines.filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("TOPIC_PARTITIONS:") }.count == 1)
        #expect(initJob.value(of: "TOPIC_PARTITIONS") != nil)
        #expect(initJob.dependsOn() == ["kafka": "service_healthy"])
        #expect(initJob.text.contains("create-topics.sh"))
        #expect(initJob.value(of: "restart")?.contains("no") == true)

        // The script creates each topic with that one count and refuses existing topics with another.
        let script = try DeploymentFiles.read("deploy/create-topics.sh")
        #expect(script.contains("for topic in $TOPICS"))
        #expect(script.contains("--partitions \"$PARTITIONS\""))
        #expect(!script.contains("--partitions \"$TOPIC_PARTITIONS_"), "no per-topic counts")
        #expect(script.contains("--if-not-exists"))
        #expect(script.contains("PartitionCount"))
        #expect(script.contains("village.finance village.procurement village.labor village.lease village.seal"))
    }

    @Test("postgres: PostgreSQL 15 with a volume and a pg_isready health check")
    func postgresService() throws {
        let postgres = try DeploymentFiles.compose().service("postgres")
        #expect(postgres.value(of: "image") == "postgres:15")
        #expect(postgres.text.contains("pg_isready"))
        #expect(postgres.text.contains("/var/lib/postgresql/data"))
    }

    @Test("two `qianliyan run` workers in ONE consumer group, after the topics and the schema")
    func workers() throws {
        let compose = try DeploymentFiles.compose()
        let workers = compose.services.filter { $0.command(in: compose).first == "run" }
        #expect(workers.count >= 2, "at least two workers: \(workers.map(\.name))")
        let groups = Set(workers.map { DeploymentFiles.option("--group", in: $0.command(in: compose)) })
        #expect(groups == ["qianliyan"], "one group for every worker, got \(groups)")
        let ids = workers.map { DeploymentFiles.option("--instance-id", in: $0.command(in: compose)) }
        #expect(!ids.contains(nil) && Set(ids).count == ids.count, "distinct static member ids: \(ids)")
        for worker in workers {
            let words = worker.command(in: compose)
            #expect(DeploymentFiles.option("--brokers", in: words) == "kafka:9092", "\(worker.name)")
            #expect(DeploymentFiles.option("--reference", in: words) == "/data/reference", "\(worker.name)")
            #expect(DeploymentFiles.option("--metrics-listen", in: words)?.hasSuffix(":9464") == true, "\(worker.name)")
            #expect(!words.contains("--database"), "\(worker.name): DATABASE_URL comes from the environment, not the command line")
            let deps = compose.resolve(worker).dependsOn()
            #expect(deps["kafka-init"] == "service_completed_successfully", "\(worker.name)")
            #expect(deps["migrate"] == "service_completed_successfully", "\(worker.name)")
            #expect(deps["postgres"] == "service_healthy", "\(worker.name)")
            #expect(deps["kafka"] == "service_healthy", "\(worker.name)")
            #expect(compose.resolve(worker).text.contains("healthcheck:") || worker.text.contains("healthcheck: *"), "\(worker.name)")
            #expect(worker.text.contains("./deploy/reference:/data/reference"), "\(worker.name)")
        }
    }

    @Test("queue: `qianliyan serve` on 0.0.0.0:8080, published, after the schema")
    func queue() throws {
        let compose = try DeploymentFiles.compose()
        let queue = try compose.service("queue")
        let words = queue.command(in: compose)
        #expect(words.first == "serve")
        #expect(DeploymentFiles.option("--listen", in: words) == "0.0.0.0:8080")
        #expect(queue.lines.contains { $0.contains(":8080\"") || $0.hasSuffix(":8080") })
        #expect(queue.dependsOn()["migrate"] == "service_completed_successfully")
        #expect(queue.text.contains("/healthz"))
    }

    @Test("migrate runs `qianliyan db migrate`; DATABASE_URL carries no password")
    func migrateAndSecrets() throws {
        let compose = try DeploymentFiles.compose()
        #expect(try compose.service("migrate").command(in: compose) == ["db", "migrate"])
        #expect(try compose.service("migrate").dependsOn()["postgres"] == "service_healthy")
        let url = compose.text.split(separator: "\n").first { $0.contains("DATABASE_URL:") }.map(String.init) ?? ""
        #expect(url.contains("@postgres:5432/"))
        #expect(!url.contains("PASSWORD"), "the password goes to PGPASSWORD, not into the URL: \(url)")
        #expect(compose.text.contains("PGPASSWORD:"))
        #expect(!compose.text.contains("sasl.password="))
    }

    @Test("services connect as their own login roles, made by the postgres init script; only migrate as the owner")
    func databaseRoles() throws {
        let compose = try DeploymentFiles.compose()
        #expect(try compose.service("postgres").text.contains("./deploy/postgres-init:/docker-entrypoint-initdb.d"))
        let script = try DeploymentFiles.read("deploy/postgres-init/10-qianliyan-roles.sh")
        for (login, group) in [("qly_worker", "qianliyan_worker"), ("qly_queue", "qianliyan_web"), ("qly_rules", "qianliyan_rules")] {
            #expect(script.contains("('\(login)'") && script.contains("'\(group)')"), "\(login) in \(group)")
        }
        let urls = compose.text.split(separator: "\n").filter { $0.contains("DATABASE_URL:") }.map(String.init)
        #expect(urls.contains { $0.contains("postgresql://qly_worker@postgres:5432/") })
        #expect(urls.contains { $0.contains("postgresql://qly_queue@postgres:5432/") })
        #expect(urls.allSatisfy { !$0.contains("PASSWORD") }, "passwords go to PGPASSWORD: \(urls)")
        for name in ["worker-1", "worker-2", "queue"] {
            #expect(compose.resolve(try compose.service(name)).text.contains("PGPASSWORD: ${QIANLIYAN_"), "\(name) has its own role's password")
        }
        let example = try DeploymentFiles.read("deploy/env.example")
        for v in ["QIANLIYAN_WORKER_PASSWORD=", "QIANLIYAN_QUEUE_PASSWORD=", "QIANLIYAN_RULES_PASSWORD="] { #expect(example.contains(v)) }
    }

    @Test("every depends_on names a service; service_healthy only on services with a health check")
    func dependencies() throws {
        let compose = try DeploymentFiles.compose()
        let names = Set(compose.services.map(\.name))
        for service in compose.services {
            for (target, condition) in compose.resolve(service).dependsOn() {
                #expect(names.contains(target), "\(service.name) depends on unknown \(target)")
                #expect(["service_started", "service_healthy", "service_completed_successfully"].contains(condition))
                if condition == "service_healthy", let t = try? compose.service(target) {
                    #expect(t.text.contains("healthcheck:"), "\(service.name) waits for \(target) to be healthy, which has no health check")
                }
            }
        }
        #expect(!compose.text.split(separator: "\n").contains { $0.hasPrefix("version:") },
                "no top-level version: the Compose Specification")
    }

    @Test("Dockerfile: release build on the official Swift image, slim non-root runtime")
    func dockerfile() throws {
        let text = try DeploymentFiles.read("Dockerfile")
        #expect(text.contains("ARG SWIFT_IMAGE=swift:6."))
        #expect(text.contains("-bookworm"))
        #expect(text.contains("swift build -c release --product qianliyan --static-swift-stdlib"))
        for package in ["librdkafka-dev", "libpq-dev", "zlib1g-dev", "libzstd-dev", "libisal-dev", "libjemalloc-dev", "pkg-config", "librdkafka1", "libpq5", "zlib1g", "libzstd1", "libisal2", "libjemalloc2", "ca-certificates", "tzdata"] {
            #expect(text.contains(package), "\(package)")
        }
        #expect(text.contains("ARG RUNTIME_IMAGE=debian:bookworm-slim"))
        #expect(text.contains("COPY Rules /opt/qianliyan/Rules"))
        #expect(text.contains("USER qianliyan"))
        #expect(text.contains("ENTRYPOINT [\"qianliyan\"]"))
        let ignore = try DeploymentFiles.read(".dockerignore")
        #expect(ignore.contains(".build*"))
        #expect(ignore.contains(".env"))
    }

    @Test("deploy/docker-compose.external.yml: the same workers, no Kafka or PostgreSQL of its own")
    func externalCompose() throws {
        let compose = try DeploymentFiles.compose(at: "deploy/docker-compose.external.yml")
        let names = Set(compose.services.map(\.name))
        #expect(!names.contains("kafka") && !names.contains("postgres"))
        let workers = compose.services.filter { $0.command(in: compose).first == "run" }
        #expect(workers.count >= 2)
        #expect(Set(workers.map { DeploymentFiles.option("--group", in: $0.command(in: compose)) }) == ["qianliyan"])
        #expect(names.contains("queue") && names.contains("migrate"))
    }

    // MARK: full YAML (python3 + PyYAML, when present)

    @Test("the YAML itself, loaded with merge keys (python3 + PyYAML)", .enabled(if: DeploymentFiles.hasPythonYAML))
    func yamlStructure() throws {
        let result = try DeploymentFiles.run(
            ["python3", "-c", DeploymentFiles.pythonCheck, DeploymentFiles.path("docker-compose.yml"), EventType.topics.joined(separator: ",")])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("compose ok"), "\(result.output)")
    }

    // MARK: Compose itself (when installed)

    @Test("docker-compose config -q accepts both compose files", .enabled(if: DeploymentFiles.hasCompose))
    func composeConfig() throws {
        let result = try DeploymentFiles.run(["bash", DeploymentFiles.path("deploy/check-compose.sh")])
        #expect(result.status == 0, "\(result.output)")
    }
}

// MARK: - helpers

/// Reads the deployment files and takes a compose file apart line by line:
/// enough YAML for the file as written (block mappings, anchors and aliases of
/// whole blocks, folded or flow commands), not a general parser.
enum DeploymentFiles {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("docker-compose.yml").path) { return url.path }
            url.deleteLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath
    }()

    static func path(_ relative: String) -> String { root + "/" + relative }

    static func read(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }

    static func compose(at relative: String = "docker-compose.yml") throws -> ComposeFile {
        ComposeFile(text: try read(relative))
    }

    /// The word after `name` in a command (`--group qianliyan` or
    /// `--group=qianliyan`); the last one when repeated, as ArgumentParser takes it.
    static func option(_ name: String, in words: [String]) -> String? {
        var found: String?
        for (i, w) in words.enumerated() {
            if w == name, i + 1 < words.count { found = words[i + 1] }
            if w.hasPrefix(name + "=") { found = String(w.dropFirst(name.count + 1)) }
        }
        return found
    }

    static func which(_ tool: String) -> Bool {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return dirs.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
    }

    static var hasPythonYAML: Bool {
        guard which("python3") else { return false }
        return (try? run(["python3", "-c", "import yaml"]).status) == 0
    }

    static var hasCompose: Bool {
        if which("docker-compose") { return true }
        return which("docker") && (try? run(["docker", "compose", "version"]).status) == 0
    }

    /// Runs a program found on PATH; returns its exit status and its output (stdout and stderr).
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The same topology, checked on the YAML as Compose loads it (merge keys resolved).
    static let pythonCheck = #"""
import shlex, sys, yaml
doc = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
topics = set(sys.argv[2].split(","))
assert "version" not in doc, "no top-level version"
s = doc["services"]
def words(svc):
    c = svc.get("command", [])
    return shlex.split(c) if isinstance(c, str) else [str(x) for x in c]
def opt(w, name):
    found = None
    for i, x in enumerate(w):
        if x == name and i + 1 < len(w):
            found = w[i + 1]
        elif x.startswith(name + "="):
            found = x[len(name) + 1:]
    return found
def deps(svc):
    d = svc.get("depends_on") or {}
    return {k: (v or {}).get("condition", "service_started") for k, v in d.items()} if isinstance(d, dict) else {k: "service_started" for k in d}
k = s["kafka"]
assert k["image"].startswith("apache/kafka:"), k["image"]
assert "controller" in k["environment"]["KAFKA_PROCESS_ROLES"]
assert "healthcheck" in k
init = s["kafka-init"]
assert set(init["environment"]["TOPICS"].split()) == topics, init["environment"]["TOPICS"]
assert "TOPIC_PARTITIONS" in init["environment"]
assert deps(init) == {"kafka": "service_healthy"}, deps(init)
pg = s["postgres"]
assert pg["image"] == "postgres:15", pg["image"]
assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
workers = {n: words(v) for n, v in s.items() if words(v)[:1] == ["run"]}
assert len(workers) >= 2, workers
assert len({opt(w, "--group") for w in workers.values()}) == 1, "one group"
ids = [opt(w, "--instance-id") for w in workers.values()]
assert None not in ids and len(set(ids)) == len(ids), ids
for n, w in workers.items():
    assert opt(w, "--brokers") == "kafka:9092", n
    assert "DATABASE_URL" in s[n]["environment"], n
    assert "healthcheck" in s[n], n
    assert s[n]["image"] == s["migrate"]["image"], n
    d = deps(s[n])
    assert d.get("kafka-init") == "service_completed_successfully", (n, d)
    assert d.get("migrate") == "service_completed_successfully", (n, d)
q = s["queue"]
assert words(q)[0] == "serve" and opt(words(q), "--listen") == "0.0.0.0:8080", words(q)
assert any(str(p).endswith(":8080") for p in q.get("ports", [])), q.get("ports")
assert words(s["migrate"]) == ["db", "migrate"]
def user(n):
    return s[n]["environment"]["DATABASE_URL"].split("//", 1)[1].split("@", 1)[0]
for n in workers:
    assert user(n) == "qly_worker", (n, user(n))
    assert "WORKER_PASSWORD" in s[n]["environment"]["PGPASSWORD"], n
assert user("queue") == "qly_queue" and "QUEUE_PASSWORD" in q["environment"]["PGPASSWORD"], q["environment"]
assert user("replay") == "qly_worker", user("replay")
assert user("migrate").startswith("${POSTGRES_USER"), user("migrate")
assert any(str(v).endswith(":/docker-entrypoint-initdb.d:ro") for v in pg["volumes"]), pg["volumes"]
for n, v in s.items():
    for t, c in deps(v).items():
        assert t in s, (n, t)
        assert c in ("service_started", "service_healthy", "service_completed_successfully"), (n, c)
        if c == "service_healthy":
            assert "healthcheck" in s[t], (n, t)
print("compose ok:", ", ".join(sorted(s)))
"""#
}

/// A compose file split into its services.
struct ComposeFile {
    let text: String
    let services: [Service]

    struct Service {
        let name: String
        /// The service's lines (comments dropped), without the `name:` line.
        let lines: [String]
        var text: String { lines.joined(separator: "\n") }

        /// The value of the first `key: value` in the block (quotes removed).
        func value(of key: String) -> String? {
            for line in lines {
                let t = line.trimmingCharacters(in: .whitespaces)
                guard t.hasPrefix(key + ":") else { continue }
                var v = t.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
                if v.count >= 2, (v.hasPrefix("\"") && v.hasSuffix("\"")) || (v.hasPrefix("'") && v.hasSuffix("'")) {
                    v = String(v.dropFirst().dropLast())
                }
                return v
            }
            return nil
        }

        /// `depends_on` as target → condition (a block written in place).
        func dependsOn() -> [String: String] {
            guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("depends_on:") }) else { return [:] }
            let base = ComposeFile.indent(lines[start])
            var result: [String: String] = [:]
            var current: String?
            for line in lines[(start + 1)...] {
                let t = line.trimmingCharacters(in: .whitespaces)
                if t.isEmpty { continue }
                let i = ComposeFile.indent(line)
                if i <= base { break }
                if t.hasPrefix("- ") { result[String(t.dropFirst(2))] = "service_started"; continue }
                if t.hasPrefix("condition:") {
                    if let c = current { result[c] = t.dropFirst("condition:".count).trimmingCharacters(in: .whitespaces) }
                } else if t.hasSuffix(":") {
                    current = String(t.dropLast())
                    result[current!] = "service_started"
                }
            }
            return result
        }

        /// The command as words: a flow list (`["db", "migrate"]`), a folded
        /// string (`>-`) or a plain string.
        func command(in file: ComposeFile) -> [String] {
            guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("command:") }) else { return [] }
            let head = lines[start].trimmingCharacters(in: .whitespaces).dropFirst("command:".count).trimmingCharacters(in: .whitespaces)
            if head.hasPrefix("[") {
                let list = (try? JSONSerialization.jsonObject(with: Data(head.utf8))) as? [String]
                return list ?? []
            }
            var text = head
            if head.hasPrefix(">") || head.hasPrefix("|") {
                let base = ComposeFile.indent(lines[start])
                text = lines[(start + 1)...].prefix { ComposeFile.indent($0) > base || $0.trimmingCharacters(in: .whitespaces).isEmpty }
                    .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
            }
            return text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        }
    }

    init(text: String) {
        self.text = text
        var services: [Service] = []
        var inServices = false
        var name: String?
        var block: [String] = []
        func flush() {
            if let name { services.append(Service(name: name, lines: block)) }
            name = nil
            block = []
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let t = raw.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("#") { continue }
            let i = ComposeFile.indent(raw)
            if !t.isEmpty && i == 0 {
                flush()
                inServices = t == "services:"
                continue
            }
            guard inServices, !t.isEmpty else { continue }
            if i == 2 && t.hasSuffix(":") {
                flush()
                name = String(t.dropLast())
            } else {
                block.append(raw)
            }
        }
        flush()
        self.services = services
    }

    func service(_ name: String) throws -> Service {
        guard let s = services.first(where: { $0.name == name }) else { throw ComposeFileError(message: "no service \(name)") }
        return s
    }

    /// The service with `key: *anchor` lines replaced by the anchored block.
    func resolve(_ service: Service) -> Service {
        var out: [String] = []
        for line in service.lines {
            let t = line.trimmingCharacters(in: .whitespaces)
            if let star = t.range(of: ": *"), !t.hasPrefix("<<") {
                let key = t[..<star.lowerBound]
                let anchor = t[star.upperBound...]
                out.append(String(repeating: " ", count: ComposeFile.indent(line)) + key + ":")
                out += anchoredBlock(String(anchor), indent: ComposeFile.indent(line))
            } else {
                out.append(line)
            }
        }
        return Service(name: service.name, lines: out)
    }

    /// The lines under the line that ends with `&anchor`, re-indented under `indent`.
    func anchoredBlock(_ anchor: String, indent: Int) -> [String] {
        let all = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = all.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasSuffix("&" + anchor) }) else { return [] }
        let base = ComposeFile.indent(all[start])
        let body = all[(start + 1)...].prefix { ComposeFile.indent($0) > base || $0.trimmingCharacters(in: .whitespaces).isEmpty }
        return body.filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
            .map { String(repeating: " ", count: max(0, indent + ComposeFile.indent($0) - base)) + $0.trimmingCharacters(in: .whitespaces) }
    }

    static func indent(_ line: String) -> Int { line.prefix { $0 == " " }.count }
}

struct ComposeFileError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
