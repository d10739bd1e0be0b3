import Foundation
import GRDB

/// What ``LedgerReader/history(userID:query:as:)`` should return.
public struct HistoryQuery: Sendable, Hashable {
  /// Rows per page (1…``Limits/historyLimitMax``).
  public var limit: Int
  /// Continue after the page that returned this ``HistoryPage/nextCursor``.
  public var cursor: String?
  /// The seed's `OFFSET`: skip this many rows (not with a cursor).
  public var offset: Int?
  /// Only mails of this type.
  public var mailType: MailType?
  /// Only mails to this recipient.
  public var recipientEmail: String?

  /// A query; the first page of 50 newest mails by default.
  public init(
    limit: Int = 50, cursor: String? = nil, offset: Int? = nil, mailType: MailType? = nil,
    recipientEmail: String? = nil
  ) {
    self.limit = limit
    self.cursor = cursor
    self.offset = offset
    self.mailType = mailType
    self.recipientEmail = recipientEmail
  }
}

/// One page of a user's mails, newest first.
public struct HistoryPage: Sendable, Hashable {
  /// The mails.
  public var items: [Mail]
  /// Pass this as ``HistoryQuery/cursor`` for the next page; nil on the last page.
  public var nextCursor: String?
}

extension LedgerReader {
  /// A user's mails, newest first: keyset pages through an opaque cursor (stable while new
  /// mails arrive), or the seed's limit/offset; filtered by `mail_type` and by recipient.
  public func history(
    userID: UUID, query: HistoryQuery = .init(), as principal: Principal
  ) async throws -> HistoryPage {
    guard (1...limits.historyLimitMax).contains(query.limit) else {
      throw Rejection.invalidField(field: "limit", reason: "must be 1…\(limits.historyLimitMax)")
    }
    if let offset = query.offset, offset < 0 {
      throw Rejection.invalidField(field: "offset", reason: "must not be negative")
    }
    if query.offset != nil, query.cursor != nil {
      throw Rejection.invalidField(field: "offset", reason: "cannot be combined with a cursor")
    }
    let after = try query.cursor.map(HistoryCursor.init(text:))
    guard principal.canAccess(userID) else { throw Rejection.userNotFound(userID) }
    await freshness?()
    var arguments: StatementArguments = [userID, after?.seq ?? .max]
    if let mailType = query.mailType { _ = arguments.append(contentsOf: [mailType]) }
    if let recipient = query.recipientEmail { _ = arguments.append(contentsOf: [recipient]) }
    // One more row than asked tells whether another page follows.
    _ = arguments.append(contentsOf: [query.limit + 1, query.offset ?? 0])
    let sql = Self.historySQL(
      columns: Self.mailColumns(of: "u"), byMailType: query.mailType != nil,
      byRecipient: query.recipientEmail != nil)
    // The profile and the page from one snapshot: a user deleted meanwhile is not found.
    let rows = try await readShort { [sql, arguments] db -> [Mail]? in
      guard try Self.profileExists(userID, db) else { return nil }
      return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(
        Self.mail(from:))
    }
    guard let rows else { throw Rejection.userNotFound(userID) }
    let items = Array(rows.prefix(query.limit))
    let next = rows.count > query.limit ? items.last.map { HistoryCursor(mail: $0).text } : nil
    return HistoryPage(items: items, nextCursor: next)
  }
}

extension LedgerReader {
  /// A page of the user `?1`'s mails before the mail `?2`, newest first, through their chain
  /// (``MailChain``) from the newest or from the cursor's mail; then a placeholder for each
  /// filter named, the limit and the offset.
  static func historySQL(columns: String, byMailType: Bool, byRecipient: Bool) -> String {
    MailChain.with(from: MailChain.afterCursor)
      + "SELECT \(columns) FROM chain CROSS JOIN user_mails u ON u.seq = chain.seq"
      + " WHERE u.user_id = ?1 AND u.seq < ?2"
      + (byMailType ? " AND u.mail_type = ?" : "") + (byRecipient ? " AND u.recipient_email = ?" : "")
      + " LIMIT ? OFFSET ?"
  }
}

/// The position after a mail in newest-first order, as an opaque string. It names the
/// mail's time and sequence number; times never go back along the log, so the sequence
/// number alone places it.
struct HistoryCursor {
  var sentAt: Int64
  var seq: Int64

  init(mail: Mail) {
    sentAt = mail.sentAt.millisecondsSince1970
    seq = mail.seq
  }

  init(text: String) throws(Rejection) {
    let invalid = Rejection.invalidField(field: "cursor", reason: "not a cursor this ledger issued")
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
    guard let data = Data(base64Encoded: base64) else { throw invalid }
    let parts = String(decoding: data, as: UTF8.self).split(separator: ":")
    guard parts.count == 3, parts[0] == "v1", let sentAt = Int64(parts[1]), let seq = Int64(parts[2])
    else { throw invalid }
    self.sentAt = sentAt
    self.seq = seq
  }

  var text: String {
    Data("v1:\(sentAt):\(seq)".utf8).base64EncodedString()
      .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
      .replacingOccurrences(of: "=", with: "")
  }
}
