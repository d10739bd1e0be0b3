import Foundation
import GRDB
import GRDBSQLite

/// Keeps the projections (`profiles`, `mails`, `user_events`) in step with the log. The
/// ``ProjectionWriter`` calls it for the events the writer appended, in catch-up transactions
/// that trail the log; start-up, rebuilds, imports and verify call it on replay. One function
/// decides what every event means to the tables.
enum Projector {
  /// Projects `events` (consecutive, oldest first) and moves the checkpoint to the last;
  /// `updates` carries what the caller's earlier catch-ups left known (see
  /// ``ProfileUpdates/known``), and must be dropped if the transaction does not commit.
  ///
  /// A profile's credits and `updated_at` are written once per catch-up, with their final
  /// values: a user with a hundred sends in one catch-up costs one row update, not a hundred.
  static func apply(_ events: [Event], _ db: Database, updates: inout ProfileUpdates) throws {
    guard let last = events.last else { return }
    try applyRows(events, db, updates: &updates)
    try updates.write(db)
    try setCheckpoint(last.seq, db)
  }

  /// Writes what `events` mean to the tables, but notes the profiles' credits, `updated_at`
  /// and newest mail in `updates` for the caller to write once.
  private static func applyRows(_ events: [Event], _ db: Database, updates: inout ProfileUpdates) throws {
    // Found once per run of events: GRDB's cache finds a statement by hashing its SQL.
    let insertUserEvent = try RawStatement("INSERT INTO user_events (user_id, seq) VALUES (?, ?)", db)
    let insertMail = try RawStatement(
      """
      INSERT INTO mails (seq, id, user_id, recipient_email, subject, mail_type, credits_used,
        sent_at, prev_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      """, db)
    for event in events {
      let at = event.recordedAt.millisecondsSince1970
      if event.kind != .mailSent {
        insertUserEvent.bind(1, event.userID)
        insertUserEvent.bind(2, event.seq)
        try insertUserEvent.run()
      }
      switch event.body {
      case .userSignedUp(let email, let start):
        try db.cachedStatement(
          sql: "INSERT INTO profiles (id, email, credits, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
        ).execute(arguments: [event.userID, email, start, at, at])
      case .creditsGranted(_, _, let after):
        updates.note(event.userID, credits: after, at: at)
      case .mailSent(let mail, let after):
        let previous = try updates.lastMail(of: event.userID, db)
        updates.note(event.userID, credits: after, at: at, lastMail: event.seq)
        try insert(mail, of: event, after: previous, with: insertMail)
        try list(mail.id, seq: event.seq, db, listed: &updates.mailIDsListed)
      case .creditsRefunded(let mailID, let refunded, let after):
        updates.note(event.userID, credits: after, at: at)
        try db.cachedStatement(sql: "UPDATE mails SET credits_refunded = ?3 WHERE \(MailID.rowCondition)")
          .execute(arguments: MailID.rowArguments(mailID) + [refunded])
      case .emailChanged(let email):
        updates.note(event.userID, credits: nil, at: at)
        try db.cachedStatement(sql: "UPDATE profiles SET email = ? WHERE id = ?")
          .execute(arguments: [email, event.userID])
      case .userDeleted:
        // The seed's ON DELETE CASCADE: the profile and every mail of the user go.
        let newest = try updates.lastMail(of: event.userID, db)
        try db.cachedStatement(sql: MailChain.deleteFromStart).execute(arguments: [newest, event.userID])
        updates.changes[event.userID] = nil
        updates.known[event.userID] = nil
        try db.cachedStatement(sql: "DELETE FROM profiles WHERE id = ?").execute(arguments: [event.userID])
      }
    }
  }

  /// Inserts the mails row, linked to the user's mail before it (``MailChain``).
  private static func insert(
    _ mail: Event.Mail, of event: Event, after previous: Int64?, with insert: RawStatement
  ) throws {
    insert.bind(1, event.seq)
    insert.bind(2, mail.id)
    insert.bind(3, event.userID)
    insert.bind(4, mail.recipientEmail)
    insert.bind(5, mail.subject)
    insert.bind(6, mail.mailType.rawValue)
    insert.bind(7, mail.creditsUsed)
    insert.bind(8, event.recordedAt.millisecondsSince1970)
    insert.bind(9, previous)
    try insert.run()
  }

  /// Keeps `mail_ids` exact: lists a mail id that does not carry its row's `seq` (``MailID``),
  /// and throws ``LedgerError/corruptLog(seq:reason:)`` for an id another mail has. An id
  /// that carries its `seq` is unique among those that do; it is looked for in `mail_ids`
  /// only when that table has rows (`listed`: nil until looked up), never in a ledger whose
  /// mails all carry theirs.
  private static func list(_ id: UUID, seq: Int64, _ db: Database, listed: inout Bool?) throws {
    let taken: Bool
    if MailID.carries(id, seq: seq) {
      if listed == nil {
        listed = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM mail_ids)") ?? false
      }
      guard listed == true else { return }
      taken =
        try Bool.fetchOne(
          db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM mail_ids WHERE id = ?)"), arguments: [id]
        ) ?? false
    } else {
      try db.cachedStatement(sql: "INSERT OR IGNORE INTO mail_ids (id, seq) VALUES (?, ?)")
        .execute(arguments: [id, seq])
      listed = true
      taken =
        try db.changesCount == 0
        || Bool.fetchOne(
          db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM mails WHERE seq = ? AND id = ?)"),
          arguments: [MailID.seq(of: id), id]) ?? false
    }
    if taken {
      throw LedgerError.corruptLog(seq: seq, reason: "has mail id \(id.lowercased), which another mail has")
    }
  }

  /// Fills `main.mail_ids` for the `mails` rows just copied from `schema`: its `mail_ids` as
  /// they are, or, from a file written before that table (a backup or import of an older
  /// version), the ids that do not carry their `seq`, found row by row.
  static func copyMailIDs(from schema: String, _ db: Database) throws {
    if try db.tableExists("mail_ids", in: schema) {
      try db.execute(sql: "INSERT INTO main.mail_ids SELECT * FROM \(schema).mail_ids")
      return
    }
    let rows = try Row.fetchCursor(db, sql: "SELECT id, seq FROM \(schema).mails")
    let insert = try db.makeStatement(sql: "INSERT INTO main.mail_ids (id, seq) VALUES (?, ?)")
    while let row = try rows.next() {
      let (id, seq): (UUID, Int64) = (row[0], row[1])
      if !MailID.carries(id, seq: seq) { try insert.execute(arguments: [id, seq]) }
    }
  }

  /// The profile columns a run of events changed, each user's last values: written once per
  /// user, at the end of a catch-up or of a whole replay.
  struct ProfileUpdates {
    /// Each user's credits after their last change (nil: unchanged), last event's time, and
    /// newest mail (nil: none in this run).
    var changes: [UUID: (credits: Int64?, at: Int64, lastMail: Int64?)] = [:]
    /// The run started from empty tables (a replay from the first event): every profile it
    /// reads was written by this run, with no newest mail but the one noted here.
    var tablesEmpty = false
    /// Users' newest mails as the file holds them, remembered from earlier runs of the same
    /// thread, which alone writes the file: up to `knownUsersMax`, then started over. Saves
    /// the lookup of the profile, a fifth of a catch-up at 256 callers.
    var known: [UUID: Int64] = [:]
    /// Most users `known` holds; zero remembers none.
    var knownUsersMax = 0
    /// Whether `mail_ids` has rows (nil: not looked up yet), kept from one catch-up to the
    /// next with `known`: see ``Projector/list(_:seq:_:listed:)``.
    var mailIDsListed: Bool?

    /// Notes an event of `user` at `at`, the credits it left if it moved them, and its
    /// sequence number if it is a mail: one dictionary lookup per event.
    mutating func note(_ user: UUID, credits: Int64?, at: Int64, lastMail: Int64? = nil) {
      func update(_ change: inout (credits: Int64?, at: Int64, lastMail: Int64?)) {
        change.at = at
        if let credits { change.credits = credits }
        if let lastMail { change.lastMail = lastMail }
      }
      update(&changes[user, default: (credits, at, lastMail)])
    }

    /// The user's newest mail: noted in this run, or else as the profile holds it.
    func lastMail(of user: UUID, _ db: Database) throws -> Int64? {
      if let noted = changes[user]?.lastMail ?? known[user] { return noted }
      if tablesEmpty { return nil }
      // Once per user and catch-up: through GRDB's fetchOne this was a third of the thread.
      let select = try RawStatement("SELECT last_mail_seq FROM profiles WHERE id = ?", db)
      select.bind(1, user)
      return try select.int64()
    }

    /// Writes them and forgets them.
    mutating func write(_ db: Database) throws {
      guard !changes.isEmpty else { return }
      let update = try RawStatement(
        """
        UPDATE profiles SET credits = coalesce(?, credits), updated_at = ?,
          last_mail_seq = coalesce(?, last_mail_seq) WHERE id = ?
        """, db)
      for (user, change) in changes {
        update.bind(1, change.credits)
        update.bind(2, change.at)
        update.bind(3, change.lastMail)
        update.bind(4, user)
        try update.run()
        if knownUsersMax > 0, let lastMail = change.lastMail {
          if known.count >= knownUsersMax { known.removeAll(keepingCapacity: true) }
          known[user] = lastMail
        }
      }
      // Kept: the next catch-up notes about as many users, and regrowing was 4% of this thread.
      changes.removeAll(keepingCapacity: true)
    }
  }

  static func checkpoint(_ db: Database) throws -> Int64 {
    try Int64.fetchOne(db, sql: "SELECT seq FROM projection_checkpoint WHERE id = 1") ?? 0
  }

  private static func setCheckpoint(_ seq: Int64, _ db: Database) throws {
    try db.cachedStatement(sql: "UPDATE projection_checkpoint SET seq = ? WHERE id = 1")
      .execute(arguments: [seq])
  }

  /// The balances the projection holds now, as the state a replay continues from.
  ///
  /// Stepped through SQLite's C API into a dictionary sized up front: start-up reads every
  /// profile, and GRDB's row decoding was most of opening a ledger of a million users.
  static func loadState(_ db: Database) throws -> LedgerState {
    var state = LedgerState()
    let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM profiles") ?? 0
    state.balances.reserveCapacity(count)
    let statement = try db.makeStatement(sql: "SELECT id, credits FROM profiles")
    let handle = statement.sqliteStatement
    defer { sqlite3_reset(handle) }
    var code = sqlite3_step(handle)
    while code == SQLITE_ROW {
      guard sqlite3_column_bytes(handle, 0) == 16, let bytes = sqlite3_column_blob(handle, 0) else {
        throw LedgerError.incompatibleSchema(path: db.description, reason: "a profile id is not 16 bytes")
      }
      var id = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
      withUnsafeMutableBytes(of: &id) { $0.copyMemory(from: UnsafeRawBufferPointer(start: bytes, count: 16)) }
      state.balances[id] = sqlite3_column_int64(handle, 1)
      code = sqlite3_step(handle)
    }
    guard code == SQLITE_DONE else {
      throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage)
    }
    return state
  }

  /// Projects every event after the checkpoint up to `throughSeq`, checking each against
  /// `state`, in chunks; returns how many it applied, and tells `progress` the running count
  /// after each chunk. Runs inside the caller's transaction.
  ///
  /// With `logPath`, the log is read and decoded on a thread of its own (``EventReadAhead``)
  /// while this one writes: only for a log in its own file whose events through
  /// `throughSeq` are all committed.
  @discardableResult
  static func catchUp(
    _ state: inout LedgerState, _ db: Database, through throughSeq: Int64 = .max,
    chunkEventsMax: Int = Limits().replayChunkEventsMax, readingLogAt logPath: String? = nil,
    progress: ((Int64) -> Void)? = nil
  ) throws -> Int64 {
    let from = try checkpoint(db)
    var count: Int64 = 0
    // Each profile's credits and updated_at are written once, at the end: a replay of a
    // busy log touched most profiles again in every chunk.
    // From the start of the log the tables are empty: no profile has a newest mail to look up.
    var updates = ProfileUpdates(tablesEmpty: from == 0)
    var lastSeq = from
    // A thread and a connection of its own cost more than a chunk or two takes to read.
    let readAheadPath = throughSeq - from > Int64(chunkEventsMax) ? logPath : nil
    try forEachChunk(after: from, through: throughSeq, chunkEventsMax, readingLogAt: readAheadPath, db) {
      chunk in
      for event in chunk { try state.apply(event) }
      try applyRows(chunk, db, updates: &updates)
      count += Int64(chunk.count)
      lastSeq = chunk.last?.seq ?? lastSeq
      progress?(count)
    }
    try updates.write(db)
    if count > 0 { try setCheckpoint(lastSeq, db) }
    return count
  }

  /// Calls `body` with the log's events after `seq` through `throughSeq`, in chunks of up to
  /// `chunkEventsMax`, oldest first; never with an empty chunk. The projections never hold a
  /// mail's body (`user_mails` reads it from the log): it is not decoded.
  private static func forEachChunk(
    after seq: Int64, through throughSeq: Int64, _ chunkEventsMax: Int, readingLogAt logPath: String?,
    _ db: Database, _ body: ([Event]) throws -> Void
  ) throws {
    guard let logPath else {
      var chunk: [Event] = []
      chunk.reserveCapacity(chunkEventsMax)
      try EventLog.forEach(after: seq, through: throughSeq, withContent: false, db) { event in
        chunk.append(event)
        if chunk.count == chunkEventsMax {
          try body(chunk)
          chunk.removeAll(keepingCapacity: true)
        }
      }
      if !chunk.isEmpty { try body(chunk) }
      return
    }
    let readAhead = EventReadAhead(
      path: logPath, after: seq, through: throughSeq, withContent: false, chunkEventsMax: chunkEventsMax)
    do {
      while let chunk = try readAhead.next() { try body(chunk) }
    } catch {
      readAhead.cancel()
      throw error
    }
    readAhead.join()
  }

  /// Drops the projections and replays the log, up to `throughSeq`, into new ones (with the
  /// `user_mails` view when the log is in the same file), in the caller's transaction, so
  /// readers see the old tables until it commits. Returns the events replayed and the state.
  static func rebuild(
    _ db: Database, withView: Bool, through throughSeq: Int64 = .max,
    chunkEventsMax: Int = Limits().replayChunkEventsMax, readingLogAt logPath: String? = nil,
    progress: ((Int64) -> Void)? = nil
  ) throws -> (events: Int64, state: LedgerState) {
    try Schema.recreateProjections(db, withView: withView)
    var state = LedgerState()
    let count = try catchUp(
      &state, db, through: throughSeq, chunkEventsMax: chunkEventsMax, readingLogAt: logPath,
      progress: progress)
    return (count, state)
  }
}
