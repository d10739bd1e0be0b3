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
/// So it is written with `synchronous=OFF`: no fsync competes with the log's. That survives a
/// killed process (the kernel holds every write) but not a lost machine, so the file notes,
/// durably, the boot it is open in (`projections_session`), and notes it closed, durably, on
/// a clean close. A writer that finds it open in another boot (a power loss, an OS crash, a
/// copy taken while open) throws it away and replays the log. Where no boot id can be read
/// (not Linux), it is written with NORMAL instead.
///
/// Each catch-up also notes the hash-chain links of the first event and of the last it
/// projected. A writer that finds the log's links there different (another ledger's file, a
/// history rewritten) does not trust the projections and replays the log.
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

  /// Whether the projections in `schema` link each user's mails (``MailChain``): false for
  /// tables an older version wrote, which a writer replays (or a migration links) on open.
  static func linksMails(_ db: Database, in schema: String = "main") throws -> Bool {
    try db.columns(in: "mails", in: schema).contains { $0.name == "prev_seq" }
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
    let bootID = currentBootID()
    if !holds, try !reusable(logPath: logPath, configuration: grdb, bootID: bootID) {
      remove(forLog: logPath)
    }
    let queue = try DatabaseQueue(
      path: Storage.writingFilename(path(forLog: logPath)), configuration: grdb)
    try queue.writeWithoutTransaction { db in
      try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL")
      // Catch-ups touch index pages all over `mails` and `profiles`: keep them in memory.
      try db.execute(sql: "PRAGMA cache_size = -65536")
      try db.inTransaction(.deferred) {
        if try !holdsProjections(db) {
          try db.execute(sql: Schema.projectionTablesDDL)
          if holds { try copyFromLog(db) }
        }
        try db.execute(sql: sessionDDL)
        try db.execute(
          sql: """
            INSERT INTO projections_session (id, boot, open) VALUES (1, ?, 1)
            ON CONFLICT (id) DO UPDATE SET boot = excluded.boot, open = 1
            """, arguments: [bootID ?? ""])
        if holds { try noteCheckpoint(db) }
        return .commit
      }
      // The note that the file is open is durable (FULL) before any write that is not.
      try db.execute(sql: "PRAGMA synchronous = \(bootID == nil ? "NORMAL" : "OFF")")
      // Every row this connection writes is derived from events the writer checked when it
      // appended them, and a replay checks again (`LedgerState.apply`): the tables' CHECKs
      // (credits ≥ 0, a 16-byte id, a known mail_type) keep out other programs' rows, and
      // cost a tenth of each catch-up here.
      try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
    }
    if holds { try logPool.write { try Schema.dropProjections($0) } }
    return queue
  }

  /// Flushes everything and notes the file closed, durably: called last before it closes.
  static func closeCleanly(_ db: Database) throws {
    try db.execute(sql: "PRAGMA synchronous = FULL; PRAGMA main.wal_checkpoint(TRUNCATE)")
    try db.execute(sql: "UPDATE projections_session SET open = 0")
    try db.execute(sql: "PRAGMA main.wal_checkpoint(TRUNCATE)")
  }

  /// The boot's column was `boot_id` before `mail_ids`: a writer of that version names it when
  /// it checks a projections file, so it throws on this format and replays the file (as it
  /// would any format it does not know) instead of appending mails whose ids it would not
  /// list — after a rollback to it, and again on the way forward, the file is rebuilt.
  private static let sessionDDL = """
    CREATE TABLE IF NOT EXISTS projections_session (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      boot TEXT NOT NULL,
      open INTEGER NOT NULL,
      first_hash BLOB,
      checkpoint_hash BLOB
    );
    """

  /// Notes the log's links at its first event and at the projections' checkpoint, in the
  /// caller's transaction. Once per catch-up: prepared once (preparing it each time was
  /// two thirds of its cost, 2% of the projections thread at 256 callers).
  static func noteCheckpoint(_ db: Database) throws {
    try db.cachedStatement(
      sql: """
        UPDATE main.projections_session SET
          first_hash = (SELECT hash FROM log.events WHERE seq = 1),
          checkpoint_hash =
            (SELECT hash FROM log.events WHERE seq = (SELECT seq FROM main.projection_checkpoint))
        """
    ).execute()
  }

  /// Whether the projections were made from another ledger: its first event is not theirs.
  static func madeFromAnotherLedger(_ db: Database) throws -> Bool {
    guard try Projector.checkpoint(db) > 0 else { return false }
    return try link(noted: "first_hash", atSeq: 1, db) == false
  }

  /// Whether the projections were made from this history: the log's link at their checkpoint
  /// is the one they noted (an empty checkpoint matches any log).
  static func matchesLog(_ db: Database) throws -> Bool {
    let checkpoint = try Projector.checkpoint(db)
    return try checkpoint == 0 || link(noted: "checkpoint_hash", atSeq: checkpoint, db)
  }

  private static func link(noted column: String, atSeq seq: Int64, _ db: Database) throws -> Bool {
    let noted = try Data.fetchOne(db, sql: "SELECT \(column) FROM main.projections_session")
    let link = try Data.fetchOne(db, sql: "SELECT hash FROM log.events WHERE seq = ?", arguments: [seq])
    return noted != nil && noted == link
  }

  /// Whether the projections file can be kept: of this format (its mails linked in their
  /// chain, the ids that do not carry their `seq` listed in `mail_ids`), and closed cleanly
  /// or left open in this boot (its unflushed writes are in the kernel's cache; without a
  /// boot id, any), or missing. False when it was left open in another boot, is of another
  /// format, or does not open at all.
  private static func reusable(
    logPath: String, configuration: GRDB.Configuration, bootID: String?
  ) throws -> Bool {
    let path = path(forLog: logPath)
    guard FileManager.default.fileExists(atPath: path) else { return true }
    do {
      let queue = try DatabaseQueue(path: path, configuration: configuration)
      defer { try? queue.close() }
      return try queue.read { db in
        if try db.tableExists("mails", in: "main"),
          try !linksMails(db) || !db.tableExists("mail_ids", in: "main")
        {
          return false
        }
        guard let bootID, try db.tableExists("projections_session", in: "main") else { return true }
        // Naming every column refuses (throws) a file of another format: replayed, too.
        let row = try Row.fetchOne(
          db, sql: "SELECT boot, open, first_hash, checkpoint_hash FROM main.projections_session")
        guard let row else { return true }
        return (row[1] as Int64) == 0 || (row[0] as String) == bootID
      }
    } catch {
      return false
    }
  }

  /// This boot of the machine, from the kernel; nil where there is none to read.
  private static func currentBootID() -> String? {
    guard let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) else {
      return nil
    }
    let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
    return id.isEmpty ? nil : id
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
    try Projector.copyMailIDs(from: "log", db)
  }
}
