import Foundation
import GRDB

/// Queries over the projections and the log, on concurrent WAL readers: never through the
/// writer, and safe while another process writes the file.
///
/// Every query runs as a principal; a user asking for another user's data gets the same
/// ``Rejection/userNotFound(_:)`` or ``Rejection/mailNotFound(_:)`` as for data that does
/// not exist.
public struct LedgerReader: Sendable {
  /// The log file: the ledger's path (a live ledger's readers open its projections file).
  let path: String
  let database: any DatabaseReader
  /// Connections for short reads on the caller's thread; nil for a file without a WAL.
  let inline: InlineReaders?
  let limits: Limits
  /// The writer's durable balances, for a ``Ledger``'s own reader: a balance is read from
  /// memory. Nil for a reader of a file another process writes, which queries `profiles`.
  let balances: DurableBalances?
  /// Waits until the projections hold every write acknowledged before the query: set by a
  /// ``Ledger`` for its own reader, so a read after a write sees it. Nil for a reader of a
  /// file another process writes, which sees the projections as they are (tens of
  /// milliseconds behind while that writer is busy; see ``Limits/projectionLagMax``).
  let freshness: (@Sendable () async -> Void)?

  /// Opens the ledger at `path` for reading only: no writer lock, no migration, no file
  /// created. Throws ``LedgerError/ledgerNotFound(path:)`` when there is none.
  public static func open(path: String, limits: Limits = .init()) throws -> LedgerReader {
    let connections = try Storage.openForReading(
      path: path, inlineCountMax: limits.inlineReadConnectionsMax)
    return LedgerReader(
      path: path, database: connections.database, inline: connections.inline, limits: limits,
      balances: nil, freshness: nil)
  }

  /// Runs a short read in place on an idle inline connection, or through the pool when none
  /// is idle. Only for reads that take microseconds to a few milliseconds: a long one (an
  /// export, a verify) would hold the caller's thread.
  func readShort<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
    if let inline, let result = try inline.read(body) { return result }
    return try await database.read(body)
  }

  /// The user's profile.
  public func profile(userID: UUID, as principal: Principal) async throws -> Profile {
    guard principal.canAccess(userID) else { throw Rejection.userNotFound(userID) }
    await freshness?()
    let profile = try await readShort { db in
      try Row.fetchOne(
        db.cachedStatement(
          sql: "SELECT id, email, credits, created_at, updated_at FROM profiles WHERE id = ?"),
        arguments: [userID]
      ).map { row in
        Profile(
          id: row[0], email: row[1], credits: row[2],
          createdAt: Date(millisecondsSince1970: row[3]),
          updatedAt: Date(millisecondsSince1970: row[4]))
      }
    }
    guard let profile else { throw Rejection.userNotFound(userID) }
    return profile
  }

  /// The user's credits (the seed's "optimized query for credit balance").
  ///
  /// A ``Ledger``'s reader answers from the writer's memory, with the balance of every batch
  /// that is durable, so it never waits for the projections; a reader of a file another
  /// process writes queries `profiles`.
  public func balance(userID: UUID, as principal: Principal) async throws -> Balance {
    guard principal.canAccess(userID) else { throw Rejection.userNotFound(userID) }
    let credits: Int64?
    if let balances {
      credits = try balances.credits(of: userID)
    } else {
      await freshness?()
      credits = try await readShort { db in
        // Bound and stepped directly, as the writer's statements are: GRDB's arguments box
        // the id as `Data`, more work than SQLite's lookup.
        let select = try RawStatement("SELECT credits FROM profiles WHERE id = ?", db)
        select.bind(1, userID)
        return try select.int64()
      }
    }
    guard let credits else { throw Rejection.userNotFound(userID) }
    return Balance(userID: userID, credits: credits)
  }

  /// One mail by id.
  public func mail(id: UUID, as principal: Principal) async throws -> Mail {
    await freshness?()
    let mail = try await readShort { db in
      // A file written before `mail_ids` (a backup of an older version) has the index on
      // `mails.id` instead.
      let (lookup, arguments): (String, StatementArguments) =
        try db.tableExists("mail_ids") ? (MailID.rowCondition, MailID.rowArguments(id)) : ("id = ?", [id])
      return try Row.fetchOne(
        db.cachedStatement(sql: "SELECT \(Self.mailColumns) FROM user_mails WHERE \(lookup)"),
        arguments: arguments
      ).map(Self.mail(from:))
    }
    guard let mail, principal.canAccess(mail.userID) else { throw Rejection.mailNotFound(id) }
    return mail
  }

  /// Per `mail_type` since a date: how many mails and how many credits (the seed's statistics
  /// query). Types with no mails are left out, as the seed's `GROUP BY` leaves them out.
  public func stats(userID: UUID, since: Date? = nil, as principal: Principal) async throws
    -> [MailTypeStats]
  {
    guard principal.canAccess(userID) else { throw Rejection.userNotFound(userID) }
    await freshness?()
    let sinceMilliseconds = since?.millisecondsSince1970 ?? .min
    // Through the pool: an aggregate over all of a user's mails is not a short read.
    let stats = try await database.read { db -> [MailTypeStats]? in
      guard try Self.profileExists(userID, db) else { return nil }
      return try Row.fetchAll(
        db, sql: Self.statsSQL, arguments: [userID, sinceMilliseconds]
      ).map { row in
        MailTypeStats(mailType: row[0], count: row[1], totalCredits: row[2])
      }
    }
    guard let stats else { throw Rejection.userNotFound(userID) }
    return stats
  }

  static func profileExists(_ userID: UUID, _ db: Database) throws -> Bool {
    try Bool.fetchOne(
      db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM profiles WHERE id = ?)"),
      arguments: [userID]) ?? false
  }

  /// The user `?1`'s mails per type since `?2` (milliseconds): their chain walked back to
  /// the first mail before that time.
  static let statsSQL =
    MailChain.with(from: MailChain.head, continuingWhile: "m.sent_at >= ?2") + """
      SELECT m.mail_type, count(*), sum(m.credits_used) FROM chain CROSS JOIN mails m ON m.seq = chain.seq
      WHERE m.user_id = ?1 AND m.sent_at >= ?2 GROUP BY m.mail_type ORDER BY m.mail_type
      """

  static let mailColumns = mailColumns(of: nil)

  /// The columns ``mail(from:)`` reads, of the table or view named `name`.
  static func mailColumns(of name: String?) -> String {
    let prefix = name.map { $0 + "." } ?? ""
    return [
      "seq", "id", "user_id", "recipient_email", "subject", "content", "mail_type", "credits_used",
      "credits_refunded", "sent_at",
    ].map { prefix + $0 }.joined(separator: ", ")
  }

  static func mail(from row: Row) -> Mail {
    Mail(
      id: row[1], userID: row[2], recipientEmail: row[3], subject: row[4], content: row[5],
      mailType: row[6], creditsUsed: row[7], creditsRefunded: row[8],
      sentAt: Date(millisecondsSince1970: row[9]), seq: row[0])
  }
}

/// One line of ``LedgerReader/stats(userID:since:as:)``.
public struct MailTypeStats: Sendable, Hashable {
  /// `mail_type`.
  public var mailType: MailType
  /// How many mails of this type.
  public var count: Int
  /// The sum of their `credits_used`.
  public var totalCredits: Int64

  /// Creates a stats line.
  public init(mailType: MailType, count: Int, totalCredits: Int64) {
    self.mailType = mailType
    self.count = count
    self.totalCredits = totalCredits
  }
}
