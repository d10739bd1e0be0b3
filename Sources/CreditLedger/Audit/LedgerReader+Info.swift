import Foundation
import GRDB

/// Storage and health figures for `ledger info`: the seed's monitoring list.
public struct LedgerInfo: Sendable, Encodable {
  /// Events in the log.
  public var events: Int64
  /// Live users.
  public var users: Int64
  /// Mails in the projection.
  public var mails: Int64
  /// The database file's size (the log's, for a ledger whose projections have their own
  /// file), bytes.
  public var databaseBytes: Int64
  /// The WAL's size, bytes.
  public var walBytes: Int64
  /// The projections file's size with its WAL, bytes; 0 when the file holds its projections.
  public var projectionsBytes: Int64
  /// The last event the projections hold.
  public var projectionCheckpoint: Int64
  /// The last event's link of the hash chain (``ChainHash/hex``).
  public var chainHead: String
  /// How SQLite runs the seed's three queries (`EXPLAIN QUERY PLAN`), by name.
  public var queryPlans: [String: [String]]

  enum CodingKeys: String, CodingKey {
    case events, users, mails
    case databaseBytes = "database_bytes"
    case walBytes = "wal_bytes"
    case projectionsBytes = "projections_bytes"
    case projectionCheckpoint = "projection_checkpoint"
    case chainHead = "chain_head"
    case queryPlans = "query_plans"
  }
}

extension LedgerReader {
  /// The seed's three monitored queries, as the ledger runs them, with arguments to plan
  /// them by (a user id, then a sequence number or a time).
  static let monitoredQueries: [String: (sql: String, arguments: StatementArguments)] = [
    "history_page": (
      historySQL(
        columns: "u.id, u.recipient_email, u.subject, u.mail_type, u.credits_used, u.sent_at",
        byMailType: false, byRecipient: false),
      [UUID(), Int64.max, 50, 0]
    ),
    "balance": ("SELECT credits FROM profiles WHERE id = ?", [UUID()]),
    "stats_since": (statsSQL, [UUID(), 0]),
  ]

  /// Counts, sizes, the projection checkpoint and the query plans. Service only.
  public func info(path: String, as principal: Principal) async throws -> LedgerInfo {
    guard principal == .service else { throw Rejection.notPermitted("info needs the service role") }
    let databaseBytes = Self.fileSize(path)
    let walBytes = Self.fileSize(path + "-wal")
    let projections = ProjectionStore.path(forLog: path)
    let projectionsBytes = Self.fileSize(projections) + Self.fileSize(projections + "-wal")
    return try await database.read { db in
      var plans: [String: [String]] = [:]
      for (name, (sql, arguments)) in Self.monitoredQueries {
        plans[name] = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map {
          $0["detail"]
        }
      }
      return LedgerInfo(
        events: try Int64.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0,
        users: try Int64.fetchOne(db, sql: "SELECT count(*) FROM profiles") ?? 0,
        mails: try Int64.fetchOne(db, sql: "SELECT count(*) FROM mails") ?? 0,
        databaseBytes: databaseBytes, walBytes: walBytes, projectionsBytes: projectionsBytes,
        projectionCheckpoint: try Projector.checkpoint(db), chainHead: try EventLog.head(db).hash.hex,
        queryPlans: plans)
    }
  }

  static func fileSize(_ path: String) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
  }

  /// The DDL of the ledger's tables, views, indexes and triggers, as `ledger schema` prints it.
  public static func schema() throws -> String {
    try Schema.currentDDL()
  }
}
