// swift-tools-version:6.1
// A tiny standalone package to measure (and cross-check) the event decoder
// without building the rest of Qianliyan: EventModel is a symlink to the
// main package's sources. See README.md.
import PackageDescription

let package = Package(
    name: "decoder-bench",
    targets: [
        .target(name: "EventModel"),
        .executableTarget(name: "decbench", dependencies: ["EventModel"]),
        .executableTarget(name: "decfuzz", dependencies: ["EventModel"], swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
