import ArgumentParser
import CreditLedger

/// `ledger history`: a user's mails, newest first.
struct History: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "A user's mails, newest first: keyset pages (--cursor) or --limit/--offset.")

  @OptionGroup var options: GlobalOptions
  @Option(help: "The user's id.") var user: String
  @Option(help: "Rows per page.") var limit = 50
  @Option(help: "The next_cursor of the previous page.") var cursor: String?
  @Option(help: "Rows to skip (not with --cursor).") var offset: Int?
  @Option(help: "Only custom or template mails.") var type: MailType?
  @Option(help: "Only mails to this recipient.") var recipient: String?

  func run() async throws {
    try await Output.run {
      let userID = try parseID(user, field: "user_id")
      let query = HistoryQuery(
        limit: limit, cursor: cursor, offset: offset, mailType: type, recipientEmail: recipient)
      let page = try await options.reader().history(
        userID: userID, query: query, as: options.principal())
      try Output.print(page)
    }
  }
}
