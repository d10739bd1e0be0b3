import Foundation
import GRDB

extension Ledger {
  /// Restores a backup into `path`: copies it beside `path`, verifies the copy (refusing it
  /// with ``LedgerError/verificationFailed(_:)`` if it fails), then moves it into place.
  /// Refuses an existing `path` unless `force`, and a `path` whose writer is running.
  /// Returns the verification of what was restored.
  public static func restore(
    from backup: String, to path: String, force: Bool = false, lockTimeout: Duration = .seconds(10),
    progress: ProgressHandler? = nil
  ) async throws -> VerifyReport {
    guard FileManager.default.fileExists(atPath: backup) else {
      throw LedgerError.ledgerNotFound(path: backup)
    }
    let (_, report) = try await installVerified(
      at: path, force: force, lockTimeout: lockTimeout, suffix: ".restoring", progress: progress
    ) { partial in
      var readOnly = Storage.grdbConfiguration()
      readOnly.readonly = true
      let source = try DatabaseQueue(path: backup, configuration: readOnly)
      let copy = try DatabaseQueue(path: partial, configuration: Storage.grdbConfiguration())
      try source.backup(to: copy)
      try source.close()
      try copy.close()
      return ((), nil)
    }
    return report
  }
}
