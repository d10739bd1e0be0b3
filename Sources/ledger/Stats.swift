import ArgumentParser
import CreditLedger

/// `ledger stats`: mails and credits per mail_type since a date.
struct Stats: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Per mail_type since a date: how many mails, how many credits.")

  @OptionGroup var options: GlobalOptions
  @Option(help: "The user's id.") var user: String
  @Option(help: "ISO 8601 time or date (default: all time).") var since: String?

  func run() async throws {
    try await Output.run {
      let userID = try parseID(user, field: "user_id")
      let since = try since.map { try parseDate($0, field: "since") }
      try Output.print(
        try await options.reader().stats(userID: userID, since: since, as: options.principal()))
    }
  }
}
