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
    guard force || !FileManager.default.fileExists(atPath: path) else {
      throw Rejection.invalidField(field: "db", reason: "\(path) exists; give --force to replace it")
    }
    let lock = try await WriterLock.acquire(databasePath: path, timeout: lockTimeout)
    defer { lock.release() }
    let partial = path + ".restoring"
    FileSync.remove(partial)
    do {
      var readOnly = Storage.grdbConfiguration()
      readOnly.readonly = true
      let source = try DatabaseQueue(path: backup, configuration: readOnly)
      let copy = try DatabaseQueue(path: partial, configuration: Storage.grdbConfiguration())
      try source.backup(to: copy)
      try source.close()
      try copy.close()
      let report = try await Verifier.verify(path: partial, notedHead: nil, progress: progress)
      guard report.ok else { throw LedgerError.verificationFailed(report) }
      try FileSync.replace(path, with: partial)
      return report
    } catch {
      FileSync.remove(partial)
      throw error
    }
  }
}
