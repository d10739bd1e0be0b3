import ArgumentParser
import CreditLedger

/// `ledger rebuild`: replay the projections from the log.
struct Rebuild: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Drop and replay profiles and user_mails from the log, atomically (service role).")

  @OptionGroup var options: GlobalOptions

  func run() async throws {
    try await Output.run {
      guard try options.principal() == .service else {
        throw Rejection.notPermitted("rebuild needs the service role")
      }
      let report = try await ProgressLine.make().around { progress in
        try await options.write { try await $0.rebuildProjections(progress: progress) }
      }
      try Output.print(report)
    }
  }
}
