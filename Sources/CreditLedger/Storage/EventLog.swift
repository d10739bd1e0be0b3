import Foundation
import GRDB
import GRDBSQLite

/// Reads and appends rows of the `events` table. Appending is the writer's alone.
enum EventLog {
  static let columns = "seq, kind, user_id, recorded_at, payload, idempotency_key"

  /// Appends one event chained to `previous` with `insert` (``appendStatement(_:)``), and
  /// returns its link: the one statement every deduction waits on, bound through SQLite's C
  /// API (see ``RawStatement``). The payload is encoded into `json`, a buffer the writer
  /// reuses, which SQLite reads in place.
  static func append(
    _ event: Event, after previous: ChainHash, encodingInto json: inout JSONText, using insert: RawStatement
  ) throws -> ChainHash {
    json.reset()
    EventPayload.encode(event.body, into: &json)
    let at = event.recordedAt.millisecondsSince1970
    return try json.finish { payload in
      let link = EventChain.link(
        after: previous, seq: event.seq, recordedAt: at, userID: event.userID,
        kind: event.kind.rawValue, payload: payload, idempotencyKey: event.idempotencyKey)
      try appendRaw(
        seq: event.seq, kind: event.kind.rawValue, userID: event.userID, recordedAt: at,
        payload: payload, idempotencyKey: event.idempotencyKey, hash: link, using: insert)
      return link
    }
  }

  /// Built once: interpolated per event, the text was a new `String` for every append,
  /// before GRDB's cache hashed it to find the prepared statement.
  private static let appendSQL = "INSERT INTO events (\(columns), hash) VALUES (?, ?, ?, ?, ?, ?, ?)"

  /// The statement that appends events, for a batch or an import to use for all of theirs:
  /// found once rather than by hashing its SQL for every event.
  static func appendStatement(_ db: Database) throws -> RawStatement {
    try RawStatement(appendSQL, db)
  }

  /// Appends one row as given, its payload's UTF-8 in `payload`, with `insert`
  /// (``appendStatement(_:)``): the writer's append, and an import's.
  static func appendRaw(
    seq: Int64, kind: String, userID: UUID, recordedAt: Int64, payload: UnsafeBufferPointer<UInt8>,
    idempotencyKey: String?, hash: ChainHash, using insert: RawStatement
  ) throws {
    insert.bind(1, seq)
    insert.bind(2, kind)
    insert.bind(3, userID)
    insert.bind(4, recordedAt)
    insert.bind(6, idempotencyKey)
    insert.bind(7, hash.bytes)
    try insert.run(text: payload, at: 5)
  }

  /// The link a row selected with ``columns`` chains to `previous`, from its stored columns.
  static func link(after previous: ChainHash, _ row: Row) -> ChainHash {
    // A user_id that is not 16 bytes cannot match any link: hash it as the nil UUID.
    let userID = (row[2] as UUID?) ?? UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    return EventChain.link(
      after: previous, seq: row[0], recordedAt: row[3], userID: userID, kind: row[1],
      payload: row[4], idempotencyKey: row[5])
  }

  /// The last event's link; the genesis link for an empty log.
  static func head(_ db: Database) throws -> (seq: Int64, hash: ChainHash) {
    guard let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
    else { return (0, .genesis) }
    let bytes: Data? = row[1]
    guard let bytes, let hash = ChainHash(bytes: Array(bytes)) else {
      throw LedgerError.corruptLog(seq: row[0], reason: "no 32-byte hash-chain link")
    }
    return (row[0], hash)
  }

  /// Decodes one row selected with ``columns``; a row that does not decode is a corrupt log.
  /// Without `withContent`, a mail's body is checked but left empty: what replays need.
  static func decode(_ row: Row, withContent: Bool = true) throws(LedgerError) -> Event {
    let seq: Int64 = row[0]
    guard let kind = Event.Kind(rawValue: row[1]) else {
      throw .corruptLog(seq: seq, reason: "unknown kind '\(row[1] as String)'")
    }
    guard let userID = row[2] as UUID? else {
      throw .corruptLog(seq: seq, reason: "user_id is not a UUID")
    }
    guard let body = EventPayload.decode(row[4], kind: kind, withContent: withContent) else {
      throw .corruptLog(seq: seq, reason: "payload does not decode as \(kind.rawValue)")
    }
    return Event(
      seq: seq, userID: userID, recordedAt: Date(millisecondsSince1970: row[3]),
      idempotencyKey: row[5], body: body)
  }

  static func event(idempotencyKey: String, _ db: Database) throws -> Event? {
    let statement = try db.cachedStatement(
      sql: "SELECT \(columns) FROM events WHERE idempotency_key = ?")
    return try Row.fetchOne(statement, arguments: [idempotencyKey]).map { try decode($0) }
  }

  static func lastSeq(_ db: Database) throws -> Int64 {
    try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM events") ?? 0
  }

  static func lastRecordedAt(_ db: Database) throws -> Int64 {
    try Int64.fetchOne(
      db, sql: "SELECT coalesce((SELECT recorded_at FROM events ORDER BY seq DESC LIMIT 1), 0)")
      ?? 0
  }

  /// Calls `body` with each event after `seq`, in order, up to `throughSeq`; mails without
  /// their bodies unless `withContent`.
  ///
  /// Stepped through SQLite's C API, each payload decoded where SQLite holds it: GRDB's rows
  /// and a `String` of every payload were a third of a replay's CPU in the profile.
  static func forEach(
    after seq: Int64, through throughSeq: Int64 = .max, withContent: Bool = true, _ db: Database,
    _ body: (Event) throws -> Void
  ) throws {
    let statement = try db.makeStatement(
      sql: "SELECT \(columns) FROM events WHERE seq > ? AND seq <= ? ORDER BY seq")
    let handle = statement.sqliteStatement
    defer { sqlite3_reset(handle) }
    sqlite3_bind_int64(handle, 1, seq)
    sqlite3_bind_int64(handle, 2, throughSeq)
    var code = sqlite3_step(handle)
    while code == SQLITE_ROW {
      try body(try decode(row: handle, withContent: withContent))
      code = sqlite3_step(handle)
    }
    guard code == SQLITE_DONE else {
      throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage)
    }
  }

  /// ``decode(_:withContent:)`` for the row a statement selecting ``columns`` stands on.
  private static func decode(row handle: OpaquePointer, withContent: Bool) throws(LedgerError) -> Event {
    let seq = sqlite3_column_int64(handle, 0)
    let kindText = text(handle, 1) ?? ""
    guard let kind = Event.Kind(rawValue: kindText) else {
      throw .corruptLog(seq: seq, reason: "unknown kind '\(kindText)'")
    }
    guard sqlite3_column_type(handle, 2) == SQLITE_BLOB, sqlite3_column_bytes(handle, 2) == 16,
      let blob = sqlite3_column_blob(handle, 2)
    else { throw .corruptLog(seq: seq, reason: "user_id is not a UUID") }
    var userID = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    withUnsafeMutableBytes(of: &userID) {
      $0.copyMemory(from: UnsafeRawBufferPointer(start: blob, count: 16))
    }
    let payload = UnsafeBufferPointer(
      start: sqlite3_column_text(handle, 4), count: Int(sqlite3_column_bytes(handle, 4)))
    guard let body = EventPayload.decode(bytes: payload, kind: kind, withContent: withContent) else {
      throw .corruptLog(seq: seq, reason: "payload does not decode as \(kind.rawValue)")
    }
    return Event(
      seq: seq, userID: userID,
      recordedAt: Date(millisecondsSince1970: sqlite3_column_int64(handle, 3)),
      idempotencyKey: text(handle, 5), body: body)
  }

  /// Column `index` as text; nil when NULL.
  private static func text(_ handle: OpaquePointer, _ index: Int32) -> String? {
    guard sqlite3_column_type(handle, index) != SQLITE_NULL, let bytes = sqlite3_column_text(handle, index)
    else { return nil }
    return String(
      decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, index))),
      as: UTF8.self)
  }

  /// Calls `body` with each of one user's events up to `throughSeq`, in order: the projected
  /// ones through `user_events` and `mails`, then the tail the projection has not reached.
  /// A deleted user's mails have left the projection, so their history is read from the
  /// log itself, a scan kept for audits.
  static func forEach(
    userID: UUID, through throughSeq: Int64, _ db: Database, _ body: (Event) throws -> Void
  ) throws {
    let projected = try Projector.checkpoint(db)
    let live = try LedgerReader.profileExists(userID, db)
    let sql =
      live
      ? MailChain.with(from: MailChain.head) + """
        SELECT \(columns) FROM events WHERE seq IN
          (SELECT seq FROM user_events WHERE user_id = ?1 AND seq <= ?2
           UNION ALL SELECT seq FROM chain WHERE seq <= ?2) ORDER BY seq
        """
      : "SELECT \(columns) FROM events WHERE user_id = ?1 AND seq <= ?2 ORDER BY seq"
    let rows = try Row.fetchCursor(db, sql: sql, arguments: [userID, min(throughSeq, projected)])
    while let row = try rows.next() { try body(try decode(row)) }
    guard throughSeq > projected else { return }
    let tail = try Row.fetchCursor(
      db, sql: "SELECT \(columns) FROM events WHERE seq > ? AND seq <= ? AND user_id = ? ORDER BY seq",
      arguments: [projected, throughSeq, userID])
    while let row = try tail.next() { try body(try decode(row)) }
  }
}
