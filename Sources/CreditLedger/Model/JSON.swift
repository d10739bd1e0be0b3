import Foundation

// The one JSON form of every value the ledger returns, shared by the CLI and the HTTP API:
// the seed's snake_case names, ids in lower case as PostgreSQL prints them, times in ISO 8601
// UTC with milliseconds.

private struct Key: CodingKey {
  var stringValue: String
  var intValue: Int? { nil }
  init(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { nil }
}

extension KeyedEncodingContainer where Key: CodingKey {
  fileprivate mutating func encode(_ id: UUID, for key: Key) throws {
    try encode(id.lowercased, forKey: key)
  }
  fileprivate mutating func encode(_ date: Date, for key: Key) throws {
    try encode(date.iso8601Milliseconds, forKey: key)
  }
}

/// Writes `fields` in order, turning UUIDs and dates into their JSON form and leaving out nils.
private func encodeFields(_ fields: KeyValuePairs<String, Any?>, to encoder: any Encoder) throws {
  var container = encoder.container(keyedBy: Key.self)
  for (name, value) in fields {
    let key = Key(stringValue: name)
    switch value {
    case nil: continue
    case let value as UUID: try container.encode(value, for: key)
    case let value as Date: try container.encode(value, for: key)
    case let value as String: try container.encode(value, forKey: key)
    case let value as Int64: try container.encode(value, forKey: key)
    case let value as Int: try container.encode(value, forKey: key)
    case let value as Bool: try container.encode(value, forKey: key)
    case let value as any Encodable: try container.encode(value, forKey: key)
    default: preconditionFailure("no JSON form for \(name)")
    }
  }
}

extension Profile: Encodable {
  /// `{"id","email","credits","created_at","updated_at"}`.
  public func encode(to encoder: any Encoder) throws {
    try encodeFields(
      ["id": id, "email": email, "credits": credits, "created_at": createdAt, "updated_at": updatedAt],
      to: encoder)
  }
}

extension Balance: Encodable {
  /// `{"user_id","credits"}`.
  public func encode(to encoder: any Encoder) throws {
    try encodeFields(["user_id": userID, "credits": credits], to: encoder)
  }
}

extension Mail: Encodable {
  /// The `user_mails` row, with `credits_refunded` and the event's `seq`.
  public func encode(to encoder: any Encoder) throws {
    try encodeFields(
      [
        "id": id, "user_id": userID, "recipient_email": recipientEmail, "subject": subject,
        "content": content, "mail_type": mailType.rawValue, "credits_used": creditsUsed,
        "credits_refunded": creditsRefunded, "sent_at": sentAt, "seq": seq,
      ], to: encoder)
  }
}

extension MailReceipt: Encodable {
  /// The seed function's success object: `{"success":true,"mail_id","credits_used","remaining_credits"}`.
  public func encode(to encoder: any Encoder) throws {
    try encodeFields(
      [
        "success": true, "mail_id": mailID, "credits_used": creditsUsed,
        "remaining_credits": remainingCredits, "seq": seq,
      ], to: encoder)
  }
}

extension RefundReceipt: Encodable {
  /// `{"mail_id","user_id","credits_refunded","remaining_credits","seq"}`.
  public func encode(to encoder: any Encoder) throws {
    try encodeFields(
      [
        "mail_id": mailID, "user_id": userID, "credits_refunded": creditsRefunded,
        "remaining_credits": remainingCredits, "seq": seq,
      ], to: encoder)
  }
}

extension MailTypeStats: Encodable {
  /// `{"mail_type","count","total_credits"}`, as the seed's statistics query names them.
  public func encode(to encoder: any Encoder) throws {
    try encodeFields(
      ["mail_type": mailType.rawValue, "count": count, "total_credits": totalCredits], to: encoder)
  }
}

extension HistoryPage: Encodable {
  /// `{"items":[…],"next_cursor":…}`; `next_cursor` is null on the last page.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: Key.self)
    try container.encode(items, forKey: Key(stringValue: "items"))
    try container.encode(nextCursor, forKey: Key(stringValue: "next_cursor"))
  }
}

extension Statement: Encodable {
  /// `{"user_id","lines":[…]}`.
  public func encode(to encoder: any Encoder) throws {
    try encodeFields(["user_id": userID, "lines": lines], to: encoder)
  }
}

extension Statement.Line: Encodable {
  /// `{"seq","kind","recorded_at","credits","credits_after","mail_id"?,"detail"?}`.
  public func encode(to encoder: any Encoder) throws {
    try encodeFields(
      [
        "seq": seq, "kind": kind.rawValue, "recorded_at": recordedAt, "credits": credits,
        "credits_after": creditsAfter, "mail_id": mailID, "detail": detail,
      ], to: encoder)
  }
}

extension Event: Encodable {
  /// `{"seq","kind","user_id","recorded_at","idempotency_key"?,"data":{…}}`, where `data`
  /// is the payload exactly as the log stores it.
  public func encode(to encoder: any Encoder) throws {
    try encodeFields(
      [
        "seq": seq, "kind": kind.rawValue, "user_id": userID, "recorded_at": recordedAt,
        "idempotency_key": idempotencyKey, "data": EventPayload(body),
      ], to: encoder)
  }
}
