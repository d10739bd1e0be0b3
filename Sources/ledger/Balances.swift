import ArgumentParser
import CreditLedger

/// `ledger balances`: every user's balance at a point in history.
struct Balances: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Every live user's balance as of a time or a sequence number, by replaying the log.")

  @OptionGroup var options: GlobalOptions
  @Option(name: .customLong("as-of"), help: "ISO 8601 time.") var asOf: String?
  @Option(help: "Sequence number.") var seq: Int64?

  func run() async throws {
    try await Output.run {
      let point = try parseAsOf(asOf: asOf, seq: seq) ?? .seq(.max)
      let reader = try options.reader()
      let principal = try options.principal()
      let balances = try await ProgressLine.make().around {
        try await reader.balances(asOf: point, as: principal, progress: $0)
      }
      try Output.print(balances)
    }
  }
}
