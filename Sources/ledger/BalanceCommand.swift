import ArgumentParser
import CreditLedger

/// `ledger balance`: one user's credits.
struct BalanceCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "balance", abstract: "A user's credits.")

  @OptionGroup var options: GlobalOptions
  @Option(help: "The user's id.") var user: String

  func run() async throws {
    try await Output.run {
      let userID = try parseID(user, field: "user_id")
      try Output.print(try await options.reader().balance(userID: userID, as: options.principal()))
    }
  }
}
