import ArgumentParser
import CreditLedger
import Foundation

/// `ledger events`: the log as NDJSON, a feed to follow.
struct Events: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "The event log as NDJSON, oldest first (service role).")

  @OptionGroup var options: GlobalOptions
  @Option(name: .customLong("after-seq"), help: "Only events after this sequence number.")
  var afterSeq: Int64 = 0
  @Option(help: "Only this user's events.") var user: String?
  @Option(help: "At most this many events.") var limit = 1000

  func run() async throws {
    try await Output.run {
      let userID = try user.map { try parseID($0, field: "user_id") }
      let events = try await options.reader().events(
        afterSeq: afterSeq, userID: userID, limit: limit, as: options.principal())
      for event in events { try Output.print(event) }
    }
  }
}
