import Foundation
import GRDB

/// What ``LedgerReader/backup(to:overwrite:as:progress:)`` wrote.
public struct BackupReport: Sendable, Hashable, Encodable {
  /// The backup file.
  public var path: String
  /// Its size, bytes.
  public var bytes: Int64
  /// Events in it.
  public var events: Int64
  /// Its chain head, as verified.
  public var head: ChainHash

  enum CodingKeys: String, CodingKey { case path, bytes, events, head }
}

extension LedgerReader {
  /// Takes a consistent online copy of the ledger, while its writer goes on committing:
  /// SQLite's backup API copies one read snapshot in one step, into a single file in rollback
  /// journal mode (readable from read-only media). The copy is written beside
  /// `destination`, flushed, renamed into place, then verified; a copy that fails
  /// verification is removed and ``LedgerError/verificationFailed(_:)`` thrown. Service only.
  public func backup(
    to destination: String, overwrite: Bool = false, as principal: Principal,
    progress: ProgressHandler? = nil
  ) async throws -> BackupReport {
    guard principal == .service else { throw Rejection.notPermitted("backup needs the service role") }
    guard overwrite || !FileManager.default.fileExists(atPath: destination) else {
      throw Rejection.invalidField(
        field: "destination", reason: "\(destination) exists; give --force to replace it")
    }
    // The ledger's own reader first lets the projections reach its writes; the log is
    // complete in the copy either way, and a writer that opens it catches the rest up.
    await freshness?()
    let partial = destination + ".partial"
    FileSync.remove(partial)
    do {
      let copy = try DatabaseQueue(path: partial, configuration: Storage.grdbConfiguration())
      try database.backup(to: copy)
      // One self-contained file, readable where nothing can be written (no -wal, no -shm):
      // a writer that opens it, after a restore, turns WAL back on.
      try await copy.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = DELETE") }
      try copy.close()
      try FileSync.replace(destination, with: partial)
    } catch {
      FileSync.remove(partial)
      throw LedgerError.storageFailure("backup to \(destination): \(error)")
    }
    let report = try await Verifier.verify(path: destination, notedHead: nil, progress: progress)
    guard report.ok else {
      FileSync.remove(destination)
      throw LedgerError.verificationFailed(report)
    }
    return BackupReport(
      path: destination, bytes: Self.fileSize(destination), events: report.events, head: report.head)
  }
}
