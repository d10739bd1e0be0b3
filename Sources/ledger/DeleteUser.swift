import ArgumentParser
import CreditLedger

/// `ledger delete-user`: delete a user's profile and mails from the projections.
struct DeleteUser: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "delete-user",
    abstract: "Delete a user: profile and mails leave the projections, the log keeps history (service role).")

  @OptionGroup var options: GlobalOptions
  @Option(help: "The user's id.") var user: String
  @Option(name: .customLong("idempotency-key")) var idempotencyKey: String?

  func run() async throws {
    try await Output.run {
      let userID = try parseID(user, field: "user_id")
      let principal = try options.principal()
      let event = try await options.write { ledger in
        try await ledger.deleteUser(userID: userID, idempotencyKey: idempotencyKey, as: principal)
      }
      try Output.print(event)
    }
  }
}
