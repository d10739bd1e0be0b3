import Foundation
import GRDB

/// The projections' own SQLite file, beside the log: `ledger.sqlite-projections`.
///
/// SQLite lets one connection write a file at a time. With the projections in the log's
/// file, every catch-up held the log's write lock, and a deduction waited behind it. In a
/// file of their own they are written by the ``ProjectionWriter`` thread while the writer
/// appends: two write locks, two cores.
///
/// The file is derived data. It only ever holds durable events, so it is never ahead of the
/// log after a crash; its `projection_checkpoint` says how far it got, and a writer that opens
/// the ledger projects the rest. Deleting it costs a replay of the log, nothing else.
///
/// A file that holds the projections itself (a backup, an import, a ledger written before
/// the split) is converted when a writer opens it: its tables are copied into a new
/// projections file, which is committed before they are dropped from the log's file.
enum ProjectionStore {
  /// What the projections file's name adds to the log's.
  static let suffix = "-projections"

  /// The projections file of the ledger at `logPath`.
  static func path(forLog logPath: String) -> String { logPath + suffix }

  /// Removes the projections file of the ledger at `logPath`, with its WAL; missing is fine.
  static func remove(forLog logPath: String) {
    FileSync.remove(path(forLog: logPath))
  }

  /// Whether the file open on `db` holds the projection tables itself.
  static func holdsProjections(_ db: Database) throws -> Bool {
    try db.tableExists("profiles", in: "main")
  }

  /// Opens the projections file for the writer of the ledger at `logPath`, with the log
  /// attached as `log` (read by start-up, rebuilds and the `user_mails` view), creating it or
  /// converting a single-file ledger first. Transactions on it must be DEFERRED: an
  /// IMMEDIATE one would take the log's write lock too.
  static func openForWriting(
    logPath: String, logPool: DatabasePool, configuration: LedgerConfiguration
  ) throws -> DatabaseQueue {
    let holds = try logPool.read { try holdsProjections($0) }
    if holds { remove(forLog: logPath) }
    var grdb = Storage.grdbConfiguration(busyTimeout: configuration.busyTimeout)
    grdb.prepareDatabase { db in
      try db.execute(sql: "ATTACH DATABASE ? AS log", arguments: [logPath])
    }
    let queue = try DatabaseQueue(path: path(forLog: logPath), configuration: grdb)
    try queue.writeWithoutTransaction { db in
      // NORMAL: a commit is not flushed, a checkpoint is. A crash may lose the last
      // catch-ups, never order them wrongly; start-up projects them again from the log.
      try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
      // Catch-ups touch index pages all over `mails` and `profiles`: keep them in memory.
      try db.execute(sql: "PRAGMA cache_size = -65536")
      guard try !holdsProjections(db) else { return }
      try db.inTransaction(.deferred) {
        try db.execute(sql: Schema.projectionTablesDDL)
        if holds { try copyFromLog(db) }
        return .commit
      }
    }
    if holds { try logPool.write { try Schema.dropProjections($0) } }
    return queue
  }

  /// Copies a single-file ledger's projections, as they are, into the new file.
  private static func copyFromLog(_ db: Database) throws {
    try db.execute(
      sql: """
        INSERT INTO main.profiles SELECT * FROM log.profiles;
        INSERT INTO main.mails SELECT * FROM log.mails;
        INSERT INTO main.user_events SELECT * FROM log.user_events;
        UPDATE main.projection_checkpoint SET seq = (SELECT seq FROM log.projection_checkpoint);
        """)
  }
}
