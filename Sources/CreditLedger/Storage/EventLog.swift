import Foundation
import GRDB

/// Reads and appends rows of the `events` table. Appending is the writer's alone.
enum EventLog {
  static let columns = "seq, kind, user_id, recorded_at, payload, idempotency_key"

  static func append(_ event: Event, _ db: Database) throws {
    let statement = try db.cachedStatement(
      sql: "INSERT INTO events (\(columns)) VALUES (?, ?, ?, ?, ?, ?)")
    try statement.execute(arguments: [
      event.seq, event.kind.rawValue, event.userID, event.recordedAt.millisecondsSince1970,
      EventPayload.encode(event.body), event.idempotencyKey,
    ])
  }

  /// Decodes one row selected with ``columns``; a row that does not decode is a corrupt log.
  static func decode(_ row: Row) throws(LedgerError) -> Event {
    let seq: Int64 = row[0]
    guard let kind = Event.Kind(rawValue: row[1]) else {
      throw .corruptLog(seq: seq, reason: "unknown kind '\(row[1] as String)'")
    }
    guard let userID = row[2] as UUID? else {
      throw .corruptLog(seq: seq, reason: "user_id is not a UUID")
    }
    guard let body = EventPayload.decode(row[4], kind: kind) else {
      throw .corruptLog(seq: seq, reason: "payload does not decode as \(kind.rawValue)")
    }
    return Event(
      seq: seq, userID: userID, recordedAt: Date(millisecondsSince1970: row[3]),
      idempotencyKey: row[5], body: body)
  }

  static func event(idempotencyKey: String, _ db: Database) throws -> Event? {
    let statement = try db.cachedStatement(
      sql: "SELECT \(columns) FROM events WHERE idempotency_key = ?")
    return try Row.fetchOne(statement, arguments: [idempotencyKey]).map(decode)
  }

  static func hasEvents(userID: UUID, _ db: Database) throws -> Bool {
    try Bool.fetchOne(
      db, sql: "SELECT EXISTS (SELECT 1 FROM events WHERE user_id = ?)", arguments: [userID])
      ?? false
  }

  static func lastSeq(_ db: Database) throws -> Int64 {
    try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM events") ?? 0
  }

  static func lastRecordedAt(_ db: Database) throws -> Int64 {
    try Int64.fetchOne(
      db, sql: "SELECT coalesce((SELECT recorded_at FROM events ORDER BY seq DESC LIMIT 1), 0)")
      ?? 0
  }

  /// Calls `body` with each event after `seq`, in order, optionally up to `throughSeq`.
  static func forEach(
    after seq: Int64, through throughSeq: Int64 = .max, userID: UUID? = nil, _ db: Database,
    _ body: (Event) throws -> Void
  ) throws {
    let filter = userID == nil ? "" : "AND user_id = ?"
    var arguments: StatementArguments = [seq, throughSeq]
    if let userID { _ = arguments.append(contentsOf: [userID]) }
    let rows = try Row.fetchCursor(
      db,
      sql: "SELECT \(columns) FROM events WHERE seq > ? AND seq <= ? \(filter) ORDER BY seq",
      arguments: arguments)
    while let row = try rows.next() { try body(try decode(row)) }
  }
}
