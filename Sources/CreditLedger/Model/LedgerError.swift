/// A failure of the ledger itself rather than of a command: the caller did nothing wrong.
public enum LedgerError: Error, Sendable, Hashable {
  /// Another writer (another process, or another ``Ledger`` in this one) holds the database
  /// and did not let go within the lock timeout.
  case ledgerInUse(path: String, holder: String)
  /// There is no ledger at this path (read-only opens never create one).
  case ledgerNotFound(path: String)
  /// The file is not a ledger this version understands.
  case incompatibleSchema(path: String, reason: String)
  /// The ledger was closed; no more commands are taken.
  case closed
  /// Storage refused an operation; the message says which. For a command: when its batch
  /// failed to commit, nothing in it was applied; when the flush after the commit failed (the
  /// message names `fdatasync`), whether it survives is unknown until the ledger is reopened —
  /// retry then with the same idempotency key, which returns the event if it did.
  case storageFailure(String)
  /// An event in the log fails the ledger's invariants on replay.
  case corruptLog(seq: Int64, reason: String)
  /// A file did not pass ``LedgerReader/verify(notedHead:as:progress:)``: a restore or an
  /// import refuses it, and a backup that fails it is not kept.
  case verificationFailed(VerifyReport)
}

extension LedgerError: CustomStringConvertible {
  /// A sentence that says what went wrong.
  public var description: String {
    switch self {
    case .ledgerInUse(let path, let holder):
      "the ledger at \(path) is in use by another writer (\(holder)); try again when it is done"
    case .ledgerNotFound(let path): "no ledger at \(path)"
    case .incompatibleSchema(let path, let reason): "\(path) is not a usable ledger: \(reason)"
    case .closed: "the ledger is closed"
    case .storageFailure(let message): "storage failure: \(message)"
    case .corruptLog(let seq, let reason): "event \(seq) breaks the ledger's rules: \(reason)"
    case .verificationFailed(let report):
      "verification failed"
        + (report.firstBadSeq.map { " at event \($0)" } ?? "")
        + ": \(report.problem ?? "unknown")"
        + (report.firstDifferingRow.map { " (\($0))" } ?? "")
    }
  }

  /// A stable snake_case code for programs (CLI and HTTP bodies).
  public var code: String {
    switch self {
    case .ledgerInUse: "ledger_in_use"
    case .ledgerNotFound: "ledger_not_found"
    case .incompatibleSchema: "incompatible_schema"
    case .closed: "ledger_closed"
    case .storageFailure: "storage_failure"
    case .corruptLog: "corrupt_log"
    case .verificationFailed: "verification_failed"
    }
  }
}
