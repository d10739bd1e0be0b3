import ArgumentParser
import CreditLedger

/// `ledger change-email`: change a profile's email.
struct ChangeEmail: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "change-email", abstract: "Change a profile's email.")

  @OptionGroup var options: GlobalOptions
  @Option(help: "The user's id.") var user: String
  @Option(help: "The new email.") var email: String
  @Option(name: .customLong("idempotency-key")) var idempotencyKey: String?

  func run() async throws {
    try await Output.run {
      let userID = try parseID(user, field: "user_id")
      let principal = try options.principal()
      let profile = try await options.write { ledger in
        try await ledger.changeEmail(
          userID: userID, email: email, idempotencyKey: idempotencyKey, as: principal)
      }
      try Output.print(profile)
    }
  }
}
