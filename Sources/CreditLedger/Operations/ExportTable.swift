import Foundation
import GRDB

/// What `export` writes: the log, or one of the projections as the seed names it.
public enum ExportTable: String, Sendable, CaseIterable {
  /// The event log, every column as stored (the payload as its JSON text, the hash-chain
  /// link in hex): what ``Ledger/importEvents(from:to:force:progress:)`` reads back.
  case events
  /// The `profiles` projection.
  case profiles
  /// The `user_mails` projection (the seed's table, bodies included).
  case userMails = "user_mails"

  /// How a column's stored value is written out.
  enum Kind {
    case integer, text, uuid, time, hex
  }

  /// The columns, in order, with how each is written; names the code gives, as the payload's
  /// keys are (``JSONText`` copies them without escaping).
  var columns: [(name: StaticString, kind: Kind)] {
    switch self {
    case .events:
      [
        ("seq", .integer), ("kind", .text), ("user_id", .uuid), ("recorded_at", .time),
        ("idempotency_key", .text), ("payload", .text), ("hash", .hex),
      ]
    case .profiles:
      [("id", .uuid), ("email", .text), ("credits", .integer), ("created_at", .time), ("updated_at", .time)]
    case .userMails:
      [
        ("id", .uuid), ("user_id", .uuid), ("recipient_email", .text), ("subject", .text),
        ("content", .text), ("mail_type", .text), ("credits_used", .integer),
        ("credits_refunded", .integer), ("sent_at", .time), ("seq", .integer),
      ]
    }
  }

  /// The query, in an order that does not depend on how the file was written, so that two
  /// ledgers with the same history export the same bytes.
  var sql: String {
    let names = columns.map { "\($0.name)" }.joined(separator: ", ")
    return switch self {
    case .events: "SELECT \(names) FROM events ORDER BY seq"
    case .profiles: "SELECT \(names) FROM profiles ORDER BY id"
    case .userMails: "SELECT \(names) FROM user_mails ORDER BY seq"
    }
  }

  /// The column's value as export text; nil for NULL.
  static func text(_ value: DatabaseValue, _ kind: Kind) -> String? {
    guard !value.isNull else { return nil }
    switch kind {
    case .integer: return Int64.fromDatabaseValue(value).map(String.init)
    case .text: return String.fromDatabaseValue(value)
    case .uuid: return UUID.fromDatabaseValue(value)?.lowercased
    case .time:
      return Int64.fromDatabaseValue(value).map { Date(millisecondsSince1970: $0).iso8601Milliseconds }
    case .hex: return Data.fromDatabaseValue(value).flatMap { ChainHash(bytes: [UInt8]($0))?.hex }
    }
  }
}

/// The two formats `export` writes.
public enum ExportFormat: String, Sendable, CaseIterable {
  /// One JSON object per line, columns in table order, NULLs left out.
  case ndjson
  /// RFC 4180: a header line, then one line per row; NULL is an empty field.
  case csv
}
