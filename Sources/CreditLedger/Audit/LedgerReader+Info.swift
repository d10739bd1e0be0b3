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
  /// The seed's three monitored queries, as the ledger runs them.
  static let monitoredQueries = [
    "history_page":
      "SELECT id, recipient_email, subject, mail_type, credits_used, sent_at FROM user_mails WHERE user_id = ? ORDER BY sent_at DESC, seq DESC LIMIT 50 OFFSET 0",
    "balance": "SELECT credits FROM profiles WHERE id = ?",
    "stats_since":
      "SELECT mail_type, count(*), sum(credits_used) FROM mails WHERE user_id = ? AND sent_at >= ? GROUP BY mail_type",
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
      for (name, sql) in Self.monitoredQueries {
        // A user id, then a time: as many as the query has placeholders.
        let values: [(any DatabaseValueConvertible)?] = [UUID(), 0]
        let arguments = StatementArguments(Array(values.prefix(sql.filter { $0 == "?" }.count)))
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
