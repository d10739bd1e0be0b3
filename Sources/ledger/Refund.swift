import ArgumentParser
import CreditLedger

/// `ledger refund`: give back a mail's credits, once.
struct Refund: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Refund a sent mail's credits, at most once (service role).")

  @OptionGroup var options: GlobalOptions
  @Option(help: "The mail's id.") var mail: String
  @Option(help: "Credits to give back (default: all it used).") var credits: Int64?
  @Option(name: .customLong("idempotency-key")) var idempotencyKey: String?

  func run() async throws {
    try await Output.run {
      let mailID = try parseID(mail, field: "mail_id")
      let principal = try options.principal()
      let receipt = try await options.write { ledger in
        try await ledger.refund(
          mailID: mailID, credits: credits, idempotencyKey: idempotencyKey, as: principal)
      }
      try Output.print(receipt)
    }
  }
}
