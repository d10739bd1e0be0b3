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
      try Output.print(try await options.write { try await $0.rebuildProjections() })
    }
  }
}
