// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]
/// The hot path (decoder, compiled expressions, engine state, replay): in
/// release builds, no dynamic exclusivity checks — they were 18 % of the
/// engine's instructions under callgrind (docs/performance.md). Debug builds
/// and the tests keep them.
let hot: [SwiftSetting] = strict + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "qianliyan",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "qianliyan", targets: ["qianliyan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
    ],
    targets: [
        // MARK: pure core (no IO)
        .target(name: "CByteScan"),
        .target(name: "EventModel", dependencies: ["CByteScan"], swiftSettings: hot),
        .target(name: "RuleLanguage", swiftSettings: strict),
        .target(name: "RuleCompiler", dependencies: ["RuleLanguage", "EventModel"], swiftSettings: hot),
        .target(name: "CPrefetch"),
        .target(name: "DetectionRuntime", dependencies: ["RuleCompiler", "EventModel", "CPrefetch",
            .product(name: "Collections", package: "swift-collections")], swiftSettings: hot),
        .target(name: "DetectionTesting", dependencies: ["DetectionRuntime", "RuleCompiler", "RuleLanguage", "EventModel"], swiftSettings: strict),
        .target(name: "LedgerGenerator", dependencies: ["EventModel"], swiftSettings: strict),

        // MARK: C libraries from Debian -dev packages
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // Intel ISA-L's inflate reads gzip ledgers (4× zlib's speed on this machine: docs/performance.md).
        .systemLibrary(name: "CIsal", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CJemalloc", pkgConfig: "jemalloc", providers: [.apt(["libjemalloc-dev"])]),

        // MARK: adapters
        .target(name: "AlertStore", dependencies: ["EventModel", "CLibPQ",
            .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        // Ledger files (JSON Lines, plain or gzip): what replays read and the publisher sends.
        .target(name: "LedgerFiles", dependencies: ["CIsal"], swiftSettings: hot),
        .target(name: "KafkaIngest", dependencies: ["EventModel", "CRdKafka", "LedgerFiles",
            .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .target(name: "Pipeline", dependencies: ["EventModel", "RuleCompiler", "RuleLanguage", "DetectionRuntime", "CZlib", "CZstd", "AlertStore", "KafkaIngest", "LedgerFiles",
            .product(name: "Logging", package: "swift-log")], swiftSettings: hot),
        .target(name: "AnalystAPI", dependencies: ["AlertStore", "EventModel",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "Logging", package: "swift-log")], swiftSettings: strict),

        // MARK: the one CLI
        .executableTarget(name: "qianliyan", dependencies: [
            "EventModel", "RuleLanguage", "RuleCompiler", "DetectionRuntime", "DetectionTesting", "LedgerGenerator", "CZlib",
            "Pipeline", "AlertStore", "KafkaIngest", "LedgerFiles", "AnalystAPI", "CJemalloc",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),

        // MARK: tests
        // What several test targets share (a throwaway PostgreSQL server); not a product.
        .target(name: "FuzzSupport", path: "Tests/FuzzSupport", swiftSettings: strict),
        .target(name: "TestSupport", dependencies: ["AlertStore",
            .product(name: "Logging", package: "swift-log")], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "EventModelTests", dependencies: ["EventModel", "FuzzSupport"], swiftSettings: strict),
        .testTarget(name: "RuleLanguageTests", dependencies: ["RuleLanguage", "RuleCompiler", "EventModel", "FuzzSupport"], swiftSettings: strict),
        .testTarget(name: "DetectionRuntimeTests", dependencies: ["DetectionRuntime", "DetectionTesting", "RuleCompiler", "RuleLanguage", "EventModel", "FuzzSupport"], swiftSettings: strict),
        .testTarget(name: "RulesTests", dependencies: ["DetectionTesting", "DetectionRuntime", "RuleCompiler", "RuleLanguage", "EventModel", "Pipeline", "LedgerFiles", "CZlib"], swiftSettings: strict),
        .testTarget(name: "IntegrationTests", dependencies: ["Pipeline", "AlertStore", "KafkaIngest", "LedgerFiles", "LedgerGenerator", "EventModel", "DetectionRuntime", "RuleCompiler", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "AnalystAPITests", dependencies: ["AnalystAPI", "AlertStore", "EventModel", "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird")], swiftSettings: strict),
    ]
)
