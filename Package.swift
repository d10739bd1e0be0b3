// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "CreditLedger",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "CreditLedger", targets: ["CreditLedger"]),
    .library(name: "LedgerLoad", targets: ["LedgerLoad"]),
    .library(name: "LedgerHTTP", targets: ["LedgerHTTP"]),
    .executable(name: "ledger", targets: ["ledger"]),
  ],
  dependencies: [
    .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
  ],
  targets: [
    .target(
      name: "CreditLedger",
      dependencies: [
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "GRDBSQLite", package: "GRDB.swift"),
        .product(name: "Crypto", package: "swift-crypto"),
        "CLedgerSQLite",
      ]
    ),
    .target(name: "CLedgerSQLite", linkerSettings: [.linkedLibrary("sqlite3")]),
    .target(name: "LedgerLoad", dependencies: ["CreditLedger"]),
    .target(
      name: "LedgerHTTP",
      dependencies: [
        "CreditLedger",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "JWTKit", package: "jwt-kit"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "Logging", package: "swift-log"),
      ],
      resources: [.copy("openapi.yaml")]
    ),
    .executableTarget(
      name: "ledger",
      dependencies: [
        "CreditLedger",
        "LedgerLoad",
        "LedgerHTTP",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]
    ),
    // Not directly under Benchmarks/: package-benchmark runs every executable there as a
    // benchmark suite.
    .executableTarget(
      name: "LedgerInstructions",
      dependencies: ["CreditLedger"],
      path: "Benchmarks/Tools/LedgerInstructions"
    ),
    .executableTarget(
      name: "LedgerBenchmarks",
      dependencies: [
        "CreditLedger",
        "LedgerLoad",
        .product(name: "Benchmark", package: "benchmark"),
      ],
      path: "Benchmarks/LedgerBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    ),
    .testTarget(
      name: "CreditLedgerTests",
      dependencies: [
        "CreditLedger", .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "GRDBSQLite", package: "GRDB.swift"),
      ]
    ),
    .testTarget(
      name: "LedgerHTTPTests",
      dependencies: [
        "LedgerHTTP",
        "CreditLedger",
        .product(name: "HummingbirdTesting", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "JWTKit", package: "jwt-kit"),
      ]
    ),
    .testTarget(
      name: "LedgerLoadTests",
      dependencies: ["LedgerLoad", "CreditLedger"]
    ),
    .testTarget(
      name: "ledgerTests",
      dependencies: ["ledger", "CreditLedger"]
    ),
  ],
  swiftLanguageModes: [.v6]
)
