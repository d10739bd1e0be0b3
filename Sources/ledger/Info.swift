import ArgumentParser
import CreditLedger

/// `ledger info`: storage and health figures.
struct Info: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Events, users, mails, database and WAL size, projection checkpoint, query plans.")

  @OptionGroup var options: GlobalOptions

  func run() async throws {
    try await Output.run {
      try Output.print(try await options.reader().info(path: options.path, as: options.principal()))
    }
  }
}

/// `ledger schema`: the DDL.
struct SchemaCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "schema", abstract: "Print the ledger's DDL.")

  func run() async throws {
    try await Output.run { print(try LedgerReader.schema()) }
  }
}
