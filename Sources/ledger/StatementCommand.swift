import ArgumentParser
import CreditLedger

/// `ledger statement`: a user's events with the running balance.
struct StatementCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "statement",
    abstract: "Every event of a user with the balance after it, now or as of a point in history.")

  @OptionGroup var options: GlobalOptions
  @Option(help: "The user's id.") var user: String
  @Option(name: .customLong("as-of"), help: "ISO 8601 time.") var asOf: String?
  @Option(help: "Sequence number.") var seq: Int64?

  func run() async throws {
    try await Output.run {
      let userID = try parseID(user, field: "user_id")
      let point = try parseAsOf(asOf: asOf, seq: seq)
      try Output.print(
        try await options.reader().statement(userID: userID, asOf: point, as: options.principal()))
    }
  }
}
