import ArgumentParser

/// `ledger`: the credit ledger from the command line. JSON on stdout, errors on stderr.
@main
struct LedgerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ledger",
    abstract: "An event-sourced credit ledger on SQLite.",
    discussion: """
      Every command prints JSON on stdout. Errors go to stderr as one JSON object
      {"error": code, "message": …, "field"?: …} with a non-zero exit:
        1  a ledger rule refused the command (insufficient_credits, mail_already_refunded, …)
        2  invalid input (invalid_field: the field and the reason)
        3  not found (no such user or mail, or no ledger file)
        4  the ledger is in use by another writer (waited --lock-timeout seconds)
        5  storage failure, or a log that breaks the ledger's rules
        6  verification failed: the hash chain or the projections do not check out
        64 usage error (unknown option, missing argument)
      The database is --db, else $LEDGER_DB, else ledger.sqlite in the working directory.
      Commands act as the service role unless --as-user names a user.
      """,
    subcommands: [
      Signup.self, Grant.self, Send.self, Refund.self, ChangeEmail.self, DeleteUser.self,
      BalanceCommand.self, History.self, Stats.self, StatementCommand.self, Balances.self,
      Events.self, Rebuild.self, Verify.self, Head.self, Backup.self, Restore.self, Export.self,
      Import.self, Bench.self, Serve.self, Token.self, Info.self, SchemaCommand.self,
    ]
  )
}
