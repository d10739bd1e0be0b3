import ArgumentParser
import CreditLedger

/// `ledger verify`: the hash chain, the invariants, and the projections against a replay.
struct Verify: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Recompute the hash chain, replay the log into a scratch copy and compare it with the projections.",
    discussion: """
      Prints {"ok":true,"events":N,"head":"…"} and exits 0, or the first bad event or differing
      row with "ok":false and exits 6. Runs beside a live writer, on one snapshot.
      """)

  @OptionGroup var options: GlobalOptions
  @Option(help: "A head noted earlier (ledger head): the chain must pass through it.")
  var head: String?

  func run() async throws {
    try await Output.run {
      let noted = try head.map {
        guard let hash = ChainHash(hex: $0) else {
          throw Rejection.invalidField(field: "head", reason: "must be 64 hexadecimal digits")
        }
        return hash
      }
      let report = try await ProgressLine.make().around {
        try await options.reader().verify(notedHead: noted, as: options.principal(), progress: $0)
      }
      try Output.print(report)
      if !report.ok { throw ExitCode(6) }
    }
  }
}

/// `ledger head`: the chain head to note.
struct Head: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print the last event's sequence number and hash-chain link, for an auditor to note.")

  @OptionGroup var options: GlobalOptions

  func run() async throws {
    try await Output.run {
      try Output.print(try await options.reader().head(as: options.principal()))
    }
  }
}
