import Foundation
import GRDB

/// Keeps the `profiles` and `user_mails` projections in step with the log. The writer calls it
/// in the same transaction as each append; rebuild and start-up catch-up call it on replay, so
/// one function decides what every event means to the tables.
enum Projector {
  static func apply(_ event: Event, _ db: Database) throws {
    let at = event.recordedAt.millisecondsSince1970
    switch event.body {
    case .userSignedUp(let email, let credits):
      try db.cachedStatement(
        sql: "INSERT INTO profiles (id, email, credits, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
      ).execute(arguments: [event.userID, email, credits, at, at])
    case .creditsGranted(_, _, let after):
      try setCredits(after, of: event.userID, at: at, db)
    case .mailSent(let mail, let after):
      try setCredits(after, of: event.userID, at: at, db)
      try db.cachedStatement(
        sql: """
          INSERT INTO user_mails (seq, id, user_id, recipient_email, subject, content, mail_type,
            credits_used, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
          """
      ).execute(arguments: [
        event.seq, mail.id, event.userID, mail.recipientEmail, mail.subject, mail.content,
        mail.mailType.rawValue, mail.creditsUsed, at,
      ])
    case .creditsRefunded(let mailID, let credits, let after):
      try setCredits(after, of: event.userID, at: at, db)
      try db.cachedStatement(sql: "UPDATE user_mails SET credits_refunded = ? WHERE id = ?")
        .execute(arguments: [credits, mailID])
    case .emailChanged(let email):
      try db.cachedStatement(sql: "UPDATE profiles SET email = ?, updated_at = ? WHERE id = ?")
        .execute(arguments: [email, at, event.userID])
    case .userDeleted:
      // The seed's ON DELETE CASCADE: the profile and every mail of the user go.
      try db.execute(sql: "DELETE FROM user_mails WHERE user_id = ?", arguments: [event.userID])
      try db.execute(sql: "DELETE FROM profiles WHERE id = ?", arguments: [event.userID])
    }
  }

  private static func setCredits(_ credits: Int64, of user: UUID, at: Int64, _ db: Database) throws {
    try db.cachedStatement(sql: "UPDATE profiles SET credits = ?, updated_at = ? WHERE id = ?")
      .execute(arguments: [credits, at, user])
  }

  static func checkpoint(_ db: Database) throws -> Int64 {
    try Int64.fetchOne(db, sql: "SELECT seq FROM projection_checkpoint WHERE id = 1") ?? 0
  }

  static func setCheckpoint(_ seq: Int64, _ db: Database) throws {
    try db.cachedStatement(sql: "UPDATE projection_checkpoint SET seq = ? WHERE id = 1")
      .execute(arguments: [seq])
  }

  /// The balances the projection holds now, as the state a replay continues from.
  static func loadState(_ db: Database) throws -> LedgerState {
    var state = LedgerState()
    let rows = try Row.fetchCursor(db, sql: "SELECT id, credits FROM profiles")
    while let row = try rows.next() { state.balances[row[0]] = row[1] }
    return state
  }

  /// Projects every event after the checkpoint, checking each against `state`; returns how
  /// many it applied. Runs inside the caller's transaction.
  @discardableResult
  static func catchUp(_ state: inout LedgerState, _ db: Database) throws -> Int64 {
    let from = try checkpoint(db)
    var last = from
    try EventLog.forEach(after: from, db) { event in
      try state.apply(event)
      try apply(event, db)
      last = event.seq
    }
    try setCheckpoint(last, db)
    return last - from
  }

  /// Drops the projections and replays the whole log into new ones, in the caller's
  /// transaction, so readers see the old tables until it commits. Returns the events replayed.
  static func rebuild(_ db: Database) throws -> (events: Int64, state: LedgerState) {
    try Schema.recreateProjections(db)
    var state = LedgerState()
    let count = try catchUp(&state, db)
    return (count, state)
  }
}
