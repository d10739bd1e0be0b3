import ArgumentParser
import CreditLedger
import Foundation

/// `ledger export`: the log or a projection as NDJSON or CSV.
struct Export: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write the event log (--events) or a projection (--table) as NDJSON or CSV.",
    discussion: """
      --events writes every column as stored (the payload as JSON text, the hash-chain link
      in hex): the file `ledger import --events` reads back. Projections are written as of
      their checkpoint.
      """)

  @OptionGroup var options: GlobalOptions
  @Flag(help: "Export the event log.") var events = false
  @Option(help: "Export a projection: profiles or user_mails.") var table: ExportTable?
  @Option(help: "ndjson or csv.") var format: ExportFormat = .ndjson
  @Option(help: "Write to this file (default: stdout).") var out: String?

  func validate() throws {
    guard events != (table != nil) else { throw ValidationError("give --events or --table, one of them") }
    guard table != .events else { throw ValidationError("--table is profiles or user_mails; use --events") }
  }

  func run() async throws {
    try await Output.run {
      let handle: FileHandle
      if let out {
        guard FileManager.default.createFile(atPath: out, contents: nil),
          let file = FileHandle(forWritingAtPath: out)
        else { throw Rejection.invalidField(field: "out", reason: "cannot write \(out)") }
        handle = file
      } else {
        handle = .standardOutput
      }
      defer { if out != nil { try? handle.close() } }
      let reader = try options.reader()
      let principal = try options.principal()
      try await ProgressLine.make().around {
        try await reader.export(table ?? .events, format: format, to: handle, as: principal, progress: $0)
      }
      if out != nil { try handle.synchronize() }
    }
  }
}

/// `ledger import --events FILE`: a new ledger from an event export.
struct Import: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Build a ledger at --db from an event export (NDJSON), checking every event and the chain, then verify it."
  )

  @OptionGroup var options: GlobalOptions
  @Option(help: "The export (ledger export --events).") var events: String
  @Flag(help: "Replace --db if it exists (never while its writer runs).") var force = false

  func run() async throws {
    try await Output.run {
      guard try options.principal() == .service else {
        throw Rejection.notPermitted("import needs the service role")
      }
      let configuration = try options.configuration()
      let report = try await ProgressLine.make().around {
        try await Ledger.importEvents(
          from: events, to: options.path, force: force, lockTimeout: configuration.lockTimeout, progress: $0)
      }
      try Output.print(report)
    }
  }
}

extension ExportTable: ExpressibleByArgument {}
extension ExportFormat: ExpressibleByArgument {}
