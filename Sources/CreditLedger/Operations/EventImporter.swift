import Foundation
import GRDB

/// Appends the lines of an event export (``ExportTable/events`` as NDJSON) to a new log,
/// checking each as strictly as the writer would have: consecutive sequence numbers, times
/// that never go back, a payload that decodes for its kind, the ledger's invariants, and the
/// exported hash-chain link recomputed from the line and the one before it. The first line
/// that fails is refused with its line number, and nothing of the import is kept.
struct EventImporter {
  private(set) var head = ChainHash.genesis
  private(set) var lastSeq: Int64 = 0
  private var lastRecordedAt = Int64.min
  private var state = LedgerState()

  mutating func append(_ line: String, number: Int, _ db: Database) throws {
    var fields: [String: FlatJSON.Value] = [:]
    var duplicate = false
    let flat = FlatJSON.forEachField(line) { key, value in
      duplicate = duplicate || fields.updateValue(value, forKey: key) != nil
    }
    guard flat, !duplicate else { throw Self.refusal(number, "is not one flat JSON object of an event") }
    func text(_ key: String) throws -> String {
      guard case .string(let value) = fields.removeValue(forKey: key) else {
        throw Self.refusal(number, "needs \(key) as a string")
      }
      return value
    }
    guard case .integer(let seq) = fields.removeValue(forKey: "seq"), seq == lastSeq + 1 else {
      throw Self.refusal(number, "needs seq \(lastSeq + 1)")
    }
    guard let kind = Event.Kind(rawValue: try text("kind")) else {
      throw Self.refusal(number, "has an unknown kind")
    }
    guard let userID = UUID(hyphenated: try text("user_id")) else {
      throw Self.refusal(number, "user_id is not a UUID")
    }
    guard let recordedAt = Date(iso8601Milliseconds: try text("recorded_at"))?.millisecondsSince1970,
      recordedAt >= lastRecordedAt
    else { throw Self.refusal(number, "recorded_at is not a time at or after the event before") }
    let payload = try text("payload")
    let key = fields["idempotency_key"] == nil ? nil : try text("idempotency_key")
    guard let hash = ChainHash(hex: try text("hash")) else {
      throw Self.refusal(number, "hash is not 64 hex digits")
    }
    guard fields.isEmpty else { throw Self.refusal(number, "has unknown fields \(fields.keys.sorted())") }
    guard let body = EventPayload.decode(payload, kind: kind) else {
      throw Self.refusal(number, "payload does not decode as \(kind.rawValue)")
    }
    let link = EventChain.link(
      after: head, seq: seq, recordedAt: recordedAt, userID: userID, kind: kind.rawValue, payload: payload,
      idempotencyKey: key)
    guard link == hash else {
      throw Self.refusal(
        number, "hash does not match the event and the one before it: the export was changed")
    }
    do {
      try state.apply(
        Event(
          seq: seq, userID: userID, recordedAt: Date(millisecondsSince1970: recordedAt), idempotencyKey: key,
          body: body))
    } catch LedgerError.corruptLog(_, let reason) {
      throw Self.refusal(number, reason)
    }
    var text = payload
    try text.withUTF8 {
      try EventLog.appendRaw(
        seq: seq, kind: kind.rawValue, userID: userID, recordedAt: recordedAt, payload: $0,
        idempotencyKey: key, hash: link, using: EventLog.appendStatement(db))
    }
    head = link
    lastSeq = seq
    lastRecordedAt = recordedAt
  }

  private static func refusal(_ number: Int, _ reason: String) -> Rejection {
    .invalidField(field: "events", reason: "line \(number) \(reason)")
  }
}
