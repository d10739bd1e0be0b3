import Foundation
import GRDB

/// An open credit ledger: the single writer of one SQLite file (the log) and of the
/// projections file beside it (``ProjectionStore``), and readers beside them.
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
  /// Queries on concurrent WAL readers; they never wait for the writer. A balance comes from
  /// the writer's durable balances in memory; every other query first waits until the
  /// projections hold the writes acknowledged before it.
  public let reader: LedgerReader
  let configuration: LedgerConfiguration
  let writer: Writer
  let pool: DatabasePool
  private let readers: Storage.ReadConnections
  private let lock: WriterLock
  private let checkpointer: Checkpointer
  private let balances: DurableBalances

  private init(
    path: String, configuration: LedgerConfiguration, storage: OpenStorage, lock: WriterLock,
    writer: Writer, gate: CheckpointGate, balances: DurableBalances
  ) {
    self.path = path
    self.configuration = configuration
    pool = storage.pool
    readers = storage.readers
    self.lock = lock
    self.writer = writer
    self.balances = balances
    checkpointer = Checkpointer(
      path: path, walBytesMax: configuration.limits.walBytesMax,
      writeBackStepBytes: configuration.limits.checkpointWriteBackStepBytes, gate: gate,
      batchScheduled: configuration.batchScheduledThreads)
    reader = LedgerReader(
      path: path, database: storage.readers.database, inline: storage.readers.inline,
      limits: configuration.limits, balances: balances,
      freshness: { await writer.waitForProjection() })
  }

  /// What ``openStorage(path:configuration:)`` opened.
  private struct OpenStorage {
    var pool: DatabasePool
    var readers: Storage.ReadConnections
    var core: WriterCore
  }

  /// Opens (creating if needed) the ledger at `path` as its one writer: takes the writer
  /// lock, migrates the schema, brings the projections up to the log from their checkpoint,
  /// and loads every balance into memory.
  public static func open(path: String, configuration: LedgerConfiguration = .init()) async throws
    -> Ledger
  {
    let lock = try await WriterLock.acquire(databasePath: path, timeout: configuration.lockTimeout)
    do {
      let storage = try openStorage(path: path, configuration: configuration)
      let gate = CheckpointGate()
      // Every event in the log is durable now (start-up flushed the WAL a crash left).
      let balances = DurableBalances(storage.core.state.balances)
      let writer = Writer(
        core: storage.core, databasePath: path,
        batchCommandsMax: configuration.limits.batchCommandsMax, gate: gate, balances: balances)
      return Ledger(
        path: path, configuration: configuration, storage: storage, lock: lock, writer: writer,
        gate: gate, balances: balances)
    } catch {
      lock.release()
      throw error
    }
  }

  /// Opens the log, migrates it, opens (or makes) the projections file and catches it up,
  /// and sets `synchronous`, all before the writer thread starts: nothing else can write
  /// while this runs.
  private static func openStorage(
    path: String, configuration: LedgerConfiguration
  ) throws -> OpenStorage {
    let pool = try DatabasePool(
      path: Storage.writingFilename(path),
      configuration: Storage.grdbConfiguration(busyTimeout: configuration.busyTimeout))
    try Schema.migrator.migrate(pool)
    // A writer that crashed left commits nobody flushed (its connection never fsyncs): flush
    // them before any is projected, so the projections never hold what the log may lose.
    if FileManager.default.fileExists(atPath: path + "-wal") { try FileSync.flush(path + "-wal") }
    let store = try ProjectionStore.openForWriting(
      logPath: path, logPool: pool, configuration: configuration)
    let (state, projected) = try catchUp(store, logPath: path, configuration: configuration)
    let readers = try Storage.openForReading(
      path: path, inlineCountMax: configuration.limits.inlineReadConnectionsMax)
    let core = try pool.writeWithoutTransaction { db -> WriterCore in
      // GRDB turns synchronous to NORMAL when it sets up WAL, after prepareDatabase:
      // set it here, on the writer connection, once the pool is open.
      try db.execute(sql: "PRAGMA synchronous = \(WriterCore.connectionSynchronous(configuration))")
      // Checkpoints run on the Checkpointer's thread, never inside a commit a caller waits on.
      try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
      try WriterCore.skipLogGuards(db)
      return try WriterCore(
        pool: pool, configuration: configuration, state: state, db: db,
        projections: ProjectionWriter(
          store: store, logPath: path, projectedSeq: projected, limits: configuration.limits,
          batchScheduled: configuration.batchScheduledThreads),
        lookups: readers.database)
    }
    // Loading every balance read the whole `profiles` table through the page cache; the
    // writer needs those pages rarely after that. Give them back, so that the writer's
    // memory grows with its balances, not with the table it read them from.
    try store.writeWithoutTransaction { try $0.execute(sql: "PRAGMA shrink_memory") }
    Memory.returnFreedToSystem()
    return OpenStorage(pool: pool, readers: readers, core: core)
  }

  /// Loads every balance from the projections file and projects the events it does not
  /// have yet; returns the balances and the last event projected.
  private static func catchUp(
    _ store: DatabaseQueue, logPath: String, configuration: LedgerConfiguration
  ) throws -> (
    LedgerState, Int64
  ) {
    try store.writeWithoutTransaction { db in
      var state = LedgerState()
      var last: Int64 = 0
      try db.inTransaction(.deferred) {
        last = try EventLog.lastSeq(db)
        if try ProjectionStore.madeFromAnotherLedger(db) {
          try Schema.recreateProjections(db, withView: false)
        }
        let checkpoint = try Projector.checkpoint(db)
        if checkpoint > last {
          // Never from a crash with `.full` (only durable events are projected): events
          // were removed by hand. With `.normal` a power loss may cost the log its tail.
          guard configuration.synchronous == .normal else {
            throw LedgerError.corruptLog(
              seq: last + 1,
              reason:
                "the projections hold events up to \(checkpoint) but the log ends at \(last): restore a backup"
            )
          }
          try Schema.recreateProjections(db, withView: false)
        } else if try !ProjectionStore.matchesLog(db) {
          // Made from a history that differs from this log's: replay this one.
          try Schema.recreateProjections(db, withView: false)
        }
        state = try Projector.loadState(db)
        // No writer runs yet: every event through `last` is committed in the log's file.
        try Projector.catchUp(
          &state, db, through: last, chunkEventsMax: configuration.limits.replayChunkEventsMax,
          readingLogAt: logPath)
        try ProjectionStore.noteCheckpoint(db)
        return .commit
      }
      return (state, last)
    }
  }

  /// Commits what is queued, closes the database, and lets the next writer in.
  /// The projections are fully caught up when it returns.
  public func close() async {
    await writer.close()
    balances.close()
    checkpointer.stop()
    readers.inline?.close()
    try? readers.database.close()
    // Everything into the file, synced (FULL), and the WAL emptied: the file alone is the
    // ledger until the next writer opens it.
    try? await pool.writeWithoutTransaction {
      try $0.execute(sql: "PRAGMA synchronous = FULL; PRAGMA wal_checkpoint(TRUNCATE)")
    }
    try? pool.close()
    lock.release()
  }

  /// Returns once the projections hold every write acknowledged before the call. The
  /// ledger's own ``reader`` does this before each query; call it before reading the
  /// projection tables some other way (SQL on the file, a backup).
  public func waitForProjections() async {
    await writer.waitForProjection()
  }

  /// The size of the log file, the projections file and their WALs, in bytes.
  public var storageBytes: Int64 {
    let projections = ProjectionStore.path(forLog: path)
    return [path, path + "-wal", projections, projections + "-wal"].reduce(0) {
      $0 + LedgerReader.fileSize($1)
    }
  }

  /// How the writer's batches have gone since the ledger opened.
  public var statistics: WriterStatistics { writer.statistics }
}
