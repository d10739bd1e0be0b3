import ArgumentParser
import CreditLedger

/// `ledger signup`: create a profile.
struct Signup: AsyncParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Create a profile (service role).")

  @OptionGroup var options: GlobalOptions
  @Option(help: "The profile's email.") var email: String
  @Option(name: .customLong("user-id"), help: "The id to use (default: a new one).") var userID: String?
  @Option(help: "Starting credits (default 300).") var credits: Int64?
  @Option(name: .customLong("idempotency-key")) var idempotencyKey: String?

  func run() async throws {
    try await Output.run {
      let id = try userID.map { try parseID($0, field: "id") }
      let principal = try options.principal()
      let profile = try await options.write { ledger in
        try await ledger.signUp(
          email: email, userID: id, credits: credits, idempotencyKey: idempotencyKey, as: principal)
      }
      try Output.print(profile)
    }
  }
}
