import Foundation
import GRDB
import GRDBSQLite

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
      try copyLedger(into: copy, beside: partial)
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

  /// Copies the log and the projections into `copy`, as one file. A live ledger's two files
  /// are copied from one read transaction, the projections' snapshot taken first (they only
  /// hold events the log had before), then joined in the copy.
  private func copyLedger(into copy: DatabaseQueue, beside partial: String) throws {
    let holds = try database.read {
      try ProjectionStore.holdsProjections($0) && $0.tableExists("events", in: "main")
    }
    guard !holds else { return try database.backup(to: copy) }
    let projectionsPath = partial + ProjectionStore.suffix
    FileSync.remove(projectionsPath)
    defer { FileSync.remove(projectionsPath) }
    let projections = try DatabaseQueue(path: projectionsPath)
    try copy.writeWithoutTransaction { destination in
      try projections.writeWithoutTransaction { projectionsCopy in
        try database.read { db in
          _ = try Projector.checkpoint(db)
          try Self.copy(schema: "main", of: db, to: projectionsCopy)
          try Self.copy(schema: "log", of: db, to: destination)
        }
      }
    }
    try projections.close()
    try copy.writeWithoutTransaction { db in
      try db.execute(sql: "ATTACH DATABASE ? AS copied", arguments: [projectionsPath])
      try db.inTransaction {
        try db.execute(sql: Schema.projectionsDDL)
        try db.execute(
          sql: """
            DELETE FROM main.projection_checkpoint;
            INSERT INTO main.projection_checkpoint SELECT * FROM copied.projection_checkpoint;
            INSERT INTO main.profiles SELECT * FROM copied.profiles;
            INSERT INTO main.mails SELECT * FROM copied.mails;
            INSERT INTO main.user_events SELECT * FROM copied.user_events;
            """)
        try Projector.copyMailIDs(from: "copied", db)
        return .commit
      }
      try db.execute(sql: "DETACH DATABASE copied")
    }
  }

  /// SQLite's backup API, in one step, from one schema of a connection (GRDB's copies `main`).
  private static func copy(schema: String, of source: Database, to destination: Database) throws {
    guard
      let backup = sqlite3_backup_init(destination.sqliteConnection, "main", source.sqliteConnection, schema)
    else { throw DatabaseError(resultCode: destination.lastErrorCode, message: destination.lastErrorMessage) }
    let step = sqlite3_backup_step(backup, -1)
    let finish = sqlite3_backup_finish(backup)
    guard step == SQLITE_DONE, finish == SQLITE_OK else {
      throw DatabaseError(
        resultCode: ResultCode(rawValue: step == SQLITE_DONE ? finish : step),
        message: destination.lastErrorMessage)
    }
    destination.clearSchemaCache()
  }
}
