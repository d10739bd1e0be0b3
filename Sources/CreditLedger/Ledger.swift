import Foundation
import GRDB

/// An open credit ledger: the single writer of one SQLite file, and readers beside it.
///
/// ```swift
/// let ledger = try await Ledger.open(path: "ledger.sqlite")
/// let profile = try await ledger.signUp(email: "ada@example.com", as: .service)
/// let receipt = try await ledger.send(mail, as: .user(profile.id))
/// let page = try await ledger.reader.history(userID: profile.id, as: .user(profile.id))
/// await ledger.close()
/// ```
///
/// Only one `Ledger` may hold a file at a time, across processes; a second `open` waits up to
/// ``LedgerConfiguration/lockTimeout`` and then throws ``LedgerError/ledgerInUse(path:holder:)``.
public final class Ledger: Sendable {
  /// The database file.
  public let path: String
  /// Queries on concurrent WAL readers; they never wait for the writer.
  public let reader: LedgerReader
  let configuration: LedgerConfiguration
  let writer: Writer
  let pool: DatabasePool
  private let lock: WriterLock
  private let checkpointer: Checkpointer

  private init(
    path: String, configuration: LedgerConfiguration, pool: DatabasePool, lock: WriterLock,
    writer: Writer
  ) {
    self.path = path
    self.configuration = configuration
    self.pool = pool
    self.lock = lock
    self.writer = writer
    checkpointer = Checkpointer(path: path)
    reader = LedgerReader(
      database: pool, limits: configuration.limits, freshness: { await writer.waitForProjection() })
  }

  /// Opens (creating if needed) the ledger at `path` as its one writer: takes the writer
  /// lock, migrates the schema, brings the projections up to the log from their checkpoint,
  /// and loads every balance into memory.
  public static func open(path: String, configuration: LedgerConfiguration = .init()) async throws
    -> Ledger
  {
    let lock = try await WriterLock.acquire(databasePath: path, timeout: configuration.lockTimeout)
    do {
      let (pool, writerCore) = try openStorage(path: path, configuration: configuration)
      let writer = Writer(
        core: writerCore, databasePath: path, batchCommandsMax: configuration.limits.batchCommandsMax,
        onBatchCommitted: configuration.onBatchCommitted)
      return Ledger(path: path, configuration: configuration, pool: pool, lock: lock, writer: writer)
    } catch {
      lock.release()
      throw error
    }
  }

  /// Opens the file, migrates it, sets `synchronous`, and catches the projections up, all
  /// before the writer thread starts: nothing else can write while this runs.
  private static func openStorage(
    path: String, configuration: LedgerConfiguration
  ) throws -> (DatabasePool, WriterCore) {
    let pool = try DatabasePool(
      path: path, configuration: Storage.grdbConfiguration(busyTimeout: configuration.busyTimeout))
    try Schema.migrator.migrate(pool)
    let core = try pool.writeWithoutTransaction { db -> WriterCore in
      // GRDB turns synchronous to NORMAL when it sets up WAL, after prepareDatabase:
      // set it here, on the writer connection, once the pool is open.
      try db.execute(sql: "PRAGMA synchronous = \(WriterCore.connectionSynchronous(configuration))")
      // 64 MiB of page cache: projection catch-ups touch pages all over the indexes, and
      // SQLite's 2 MiB default sent them back to the file for every catch-up.
      try db.execute(sql: "PRAGMA cache_size = -65536")
      // Checkpoints run on the Checkpointer's thread, never inside a commit a caller waits on.
      try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
      var state = LedgerState()
      try db.inTransaction(.immediate) {
        let (checkpoint, last) = (try Projector.checkpoint(db), try EventLog.lastSeq(db))
        guard checkpoint <= last else {
          // Never from a crash (both commit in the same file): events were removed by hand.
          throw LedgerError.corruptLog(
            seq: last + 1,
            reason:
              "the projections hold events up to \(checkpoint) but the log ends at \(last): restore a backup")
        }
        state = try Projector.loadState(db)
        try Projector.catchUp(&state, db)
        return .commit
      }
      let core = try WriterCore(pool: pool, configuration: configuration, state: state, db: db)
      // Loading every balance read the whole `profiles` table through the page cache; the
      // writer needs those pages rarely after that. Give them back, so that the writer's
      // memory grows with its balances, not with the table it read them from.
      try db.execute(sql: "PRAGMA shrink_memory")
      Memory.returnFreedToSystem()
      return core
    }
    return (pool, core)
  }

  /// Commits what is queued, closes the database, and lets the next writer in.
  /// The projections are fully caught up when it returns.
  public func close() async {
    await writer.close()
    checkpointer.stop()
    // The last connection to close checkpoints the WAL into the file and deletes it: with
    // FULL, that checkpoint syncs the file before the WAL goes.
    try? await pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
    try? pool.close()
    lock.release()
  }

  /// Returns once the projections hold every write acknowledged before the call. The
  /// ledger's own ``reader`` does this before each query; call it before reading the
  /// projection tables some other way (SQL on the file, a backup).
  public func waitForProjections() async {
    await writer.waitForProjection()
  }

  /// The size of the database file and its WAL, in bytes.
  public var storageBytes: Int64 {
    LedgerReader.fileSize(path) + LedgerReader.fileSize(path + "-wal")
  }

  /// How the writer's batches have gone since the ledger opened.
  public var statistics: WriterStatistics { writer.statistics }
}
