// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "CreditLedger",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "CreditLedger", targets: ["CreditLedger"]),
    .library(name: "LedgerLoad", targets: ["LedgerLoad"]),
    .executable(name: "ledger", targets: ["ledger"]),
  ],
  dependencies: [
    .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
  ],
  targets: [
    .target(
      name: "CreditLedger",
      dependencies: [
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "GRDBSQLite", package: "GRDB.swift"),
      ]
    ),
    .target(name: "LedgerLoad", dependencies: ["CreditLedger"]),
    .executableTarget(
      name: "ledger",
      dependencies: [
        "CreditLedger",
        "LedgerLoad",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
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
      dependencies: ["CreditLedger", .product(name: "GRDB", package: "GRDB.swift")]
    ),
    .testTarget(
      name: "ledgerTests",
      dependencies: ["ledger", "CreditLedger"]
    ),
  ],
  swiftLanguageModes: [.v6]
)
