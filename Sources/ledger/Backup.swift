import ArgumentParser
import CreditLedger

/// `ledger backup DEST`: an online copy, verified.
struct Backup: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Copy the ledger to DEST while it serves writes (one consistent snapshot), then verify the copy.")

  @OptionGroup var options: GlobalOptions
  @Argument(help: "The backup file to write.") var destination: String
  @Flag(help: "Replace DEST if it exists.") var force = false

  func run() async throws {
    try await Output.run {
      let report = try await ProgressLine.make().around {
        try await options.reader().backup(
          to: destination, overwrite: force, as: options.principal(), progress: $0)
      }
      try Output.print(report)
    }
  }
}

/// `ledger restore SRC`: a verified backup into --db.
struct Restore: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Restore a backup into --db, refusing a backup that fails verify; --db must not exist unless --force.")

  @OptionGroup var options: GlobalOptions
  @Argument(help: "The backup file.") var source: String
  @Flag(help: "Replace --db if it exists (never while its writer runs).") var force = false

  func run() async throws {
    try await Output.run {
      guard try options.principal() == .service else {
        throw Rejection.notPermitted("restore needs the service role")
      }
      let configuration = try options.configuration()
      let report = try await ProgressLine.make().around {
        try await Ledger.restore(
          from: source, to: options.path, force: force, lockTimeout: configuration.lockTimeout, progress: $0)
      }
      try Output.print(report)
    }
  }
}
