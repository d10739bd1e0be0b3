import ArgumentParser
import CreditLedger

/// `ledger grant`: add credits.
struct Grant: AsyncParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Add credits to a user (service role).")

  @OptionGroup var options: GlobalOptions
  @Option(help: "The user's id.") var user: String
  @Option(help: "Credits to add.") var credits: Int64
  @Option(help: "Why (kept in the log).") var reason: String?
  @Option(name: .customLong("idempotency-key")) var idempotencyKey: String?

  func run() async throws {
    try await Output.run {
      let userID = try parseID(user, field: "user_id")
      let principal = try options.principal()
      let balance = try await options.write { ledger in
        try await ledger.grant(
          userID: userID, credits: credits, reason: reason, idempotencyKey: idempotencyKey,
          as: principal)
      }
      try Output.print(balance)
    }
  }
}
