import ArgumentParser
import CreditLedger
import Foundation

/// Options every subcommand takes: which file, and as whom.
struct GlobalOptions: ParsableArguments {
  @Option(help: "The ledger file (default: $LEDGER_DB, else ledger.sqlite).")
  var db: String?

  @Option(
    name: .customLong("lock-timeout"),
    help: "Seconds a write waits for another writer to let go (default: $LEDGER_LOCK_TIMEOUT, else 10).")
  var lockTimeout: Double?

  @Option(help: "fsync at every commit (full) or not (normal).")
  var synchronous: LedgerConfiguration.Synchronous = .full

  @Option(name: .customLong("as-user"), help: "Act as this user instead of the service role.")
  var asUser: String?

  var path: String {
    db ?? ProcessInfo.processInfo.environment["LEDGER_DB"] ?? "ledger.sqlite"
  }

  func principal() throws -> Principal {
    guard let asUser else { return .service }
    return .user(try parseID(asUser, field: "as_user"))
  }

  func configuration() throws -> LedgerConfiguration {
    var configuration = LedgerConfiguration()
    configuration.synchronous = synchronous
    let environment = ProcessInfo.processInfo.environment["LEDGER_LOCK_TIMEOUT"].flatMap(Double.init)
    let seconds = lockTimeout ?? environment ?? 10
    guard seconds >= 0, seconds <= 3600 else {
      throw Rejection.invalidField(field: "lock_timeout", reason: "must be 0…3600 seconds")
    }
    configuration.lockTimeout = .milliseconds(Int(seconds * 1000))
    return configuration
  }

  /// Opens the ledger as its writer, runs `body`, and always closes it (which leaves the
  /// projections caught up and lets the next writer in).
  func write<T: Sendable>(_ body: (Ledger) async throws -> T) async throws -> T {
    let ledger = try await Ledger.open(path: path, configuration: configuration())
    do {
      let result = try await body(ledger)
      await ledger.close()
      return result
    } catch {
      await ledger.close()
      throw error
    }
  }

  /// Opens the ledger for reading only: works while another process writes it.
  func reader() throws -> LedgerReader {
    try LedgerReader.open(path: path)
  }
}

extension LedgerConfiguration.Synchronous: ExpressibleByArgument {}
extension MailType: ExpressibleByArgument {}

/// Parses a UUID, or says which field was not one.
func parseID(_ text: String, field: String) throws -> UUID {
  guard let id = UUID(uuidString: text) else {
    throw Rejection.invalidField(field: field, reason: "'\(text)' is not a UUID")
  }
  return id
}

/// Parses an ISO 8601 time, or says which field was not one.
func parseDate(_ text: String, field: String) throws -> Date {
  guard let date = Date(iso8601: text) else {
    throw Rejection.invalidField(field: field, reason: "'\(text)' is not an ISO 8601 time")
  }
  return date
}

/// `--as-of ISO8601 | --seq N` → a point in history, or nil for "now".
func parseAsOf(asOf: String?, seq: Int64?) throws -> AsOf? {
  switch (asOf, seq) {
  case (nil, nil): return nil
  case (let text?, nil): return .time(try parseDate(text, field: "as_of"))
  case (nil, let seq?):
    guard seq >= 0 else { throw Rejection.invalidField(field: "seq", reason: "must not be negative") }
    return .seq(seq)
  default: throw Rejection.invalidField(field: "as_of", reason: "give --as-of or --seq, not both")
  }
}
