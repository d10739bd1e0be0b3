import Foundation
import GRDB

extension LedgerReader {
  /// Every live user's balance at a point in history, by replaying the log up to it (and
  /// checking each event's invariants on the way). Service only.
  public func balances(asOf: AsOf, as principal: Principal, progress: ProgressHandler? = nil)
    async throws -> [Balance]
  {
    guard principal == .service else {
      throw Rejection.notPermitted("balances of every user need the service role")
    }
    return try await database.read { db in
      let through = min(try Self.lastSeq(asOf, db), try EventLog.lastSeq(db))
      var state = LedgerState()
      var done: Int64 = 0
      try EventLog.forEach(after: 0, through: through, db) {
        try state.apply($0)
        done += 1
        if done % 65_536 == 0 { progress?(LedgerProgress(phase: "replay", done: done, total: through)) }
      }
      progress?(LedgerProgress(phase: "replay", done: done, total: through))
      return state.balances.map { Balance(userID: $0.key, credits: $0.value) }
        .sorted { $0.userID.precedes($1.userID) }
    }
  }

  /// Every event of one user up to `asOf` (default: now), with the running balance after
  /// each. The service may read a deleted user's statement; a user only its own, while live.
  public func statement(userID: UUID, asOf: AsOf? = nil, as principal: Principal) async throws
    -> Statement
  {
    if case .user = principal { _ = try await balance(userID: userID, as: principal) }
    await freshness?()
    let lines = try await database.read { db in
      let through = try asOf.map { try Self.lastSeq($0, db) } ?? .max
      var state = LedgerState()
      var lines: [Statement.Line] = []
      try EventLog.forEach(userID: userID, through: through, db) { event in
        try state.apply(event)
        lines.append(Self.line(event, creditsAfter: state.balances[userID] ?? 0))
      }
      return lines
    }
    // No events up to that point: the user did not exist then.
    guard !lines.isEmpty else { throw Rejection.userNotFound(userID) }
    return Statement(userID: userID, lines: lines)
  }

  /// The audit feed: events after `afterSeq`, oldest first. Service only.
  public func events(
    afterSeq: Int64 = 0, userID: UUID? = nil, limit: Int = 1000, as principal: Principal
  ) async throws -> [Event] {
    guard principal == .service else {
      throw Rejection.notPermitted("the event feed needs the service role")
    }
    guard (1...limits.eventsLimitMax).contains(limit) else {
      throw Rejection.invalidField(field: "limit", reason: "must be 1…\(limits.eventsLimitMax)")
    }
    return try await database.read { db in
      var events: [Event] = []
      let filter = userID == nil ? "" : "AND user_id = ?"
      var arguments: StatementArguments = [afterSeq]
      if let userID { _ = arguments.append(contentsOf: [userID]) }
      _ = arguments.append(contentsOf: [limit])
      let rows = try Row.fetchCursor(
        db,
        sql: "SELECT \(EventLog.columns) FROM events WHERE seq > ? \(filter) ORDER BY seq LIMIT ?",
        arguments: arguments)
      while let row = try rows.next() { events.append(try EventLog.decode(row)) }
      return events
    }
  }

  private static func lastSeq(_ asOf: AsOf, _ db: Database) throws -> Int64 {
    switch asOf {
    case .seq(let seq):
      return seq
    case .time(let date):
      // Event times never go backwards, so "at or before" is a prefix of the log.
      return try Int64.fetchOne(
        db, sql: "SELECT coalesce(max(seq), 0) FROM events WHERE recorded_at <= ?",
        arguments: [date.millisecondsSince1970]) ?? 0
    }
  }

  private static func line(_ event: Event, creditsAfter: Int64) -> Statement.Line {
    var mailID: UUID?
    var detail: String?
    switch event.body {
    case .mailSent(let mail, _): mailID = mail.id
    case .creditsRefunded(let id, _, _): mailID = id
    case .creditsGranted(_, let reason, _): detail = reason
    case .emailChanged(let email), .userSignedUp(let email, _): detail = email
    case .userDeleted: break
    }
    return Statement.Line(
      seq: event.seq, kind: event.kind, recordedAt: event.recordedAt, credits: event.creditsDelta,
      creditsAfter: creditsAfter, mailID: mailID, detail: detail)
  }
}
