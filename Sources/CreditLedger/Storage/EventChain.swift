import Crypto
import Foundation

/// How one event's link of the hash chain is computed, on append, on verify and on import.
///
/// `hash(n) = SHA-256(hash(n-1) ‖ seq ‖ recorded_at ‖ user_id ‖ kind ‖ payload ‖ idempotency_key)`,
/// integers as 8 big-endian bytes, `user_id` as its 16 bytes, and each text as a 4-byte
/// big-endian length and its UTF-8 (the key as a 0 byte when absent, else a 1 byte and the
/// text), so that no two different events hash the same bytes. The payload is hashed as the
/// log stores it.
enum EventChain {
  static func link(
    after previous: ChainHash, seq: Int64, recordedAt: Int64, userID: UUID, kind: String,
    payload: String, idempotencyKey: String?
  ) -> ChainHash {
    var payload = payload
    return payload.withUTF8 {
      link(
        after: previous, seq: seq, recordedAt: recordedAt, userID: userID, kind: kind, payload: $0,
        idempotencyKey: idempotencyKey)
    }
  }

  /// The same with the payload's UTF-8 where it is: the writer's append.
  static func link(
    after previous: ChainHash, seq: Int64, recordedAt: Int64, userID: UUID, kind: String,
    payload: UnsafeBufferPointer<UInt8>, idempotencyKey: String?
  ) -> ChainHash {
    var hasher = SHA256()
    hasher.update(data: previous.bytes)
    update(&hasher, seq)
    update(&hasher, recordedAt)
    withUnsafeBytes(of: userID.uuid) { hasher.update(bufferPointer: $0) }
    update(&hasher, kind)
    update(&hasher, payload)
    if let idempotencyKey {
      hasher.update(data: [1])
      update(&hasher, idempotencyKey)
    } else {
      hasher.update(data: [0])
    }
    // Through its bytes: `Array(digest)` copies the 32 bytes through the generic sequence
    // path, ~2,000 instructions an event on the writer's thread.
    return ChainHash(digest: hasher.finalize().withUnsafeBytes { Array($0) })
  }

  private static func update(_ hasher: inout SHA256, _ value: Int64) {
    withUnsafeBytes(of: value.bigEndian) { hasher.update(bufferPointer: $0) }
  }

  private static func update(_ hasher: inout SHA256, _ text: String) {
    var text = text
    text.withUTF8 { update(&hasher, $0) }
  }

  private static func update(_ hasher: inout SHA256, _ utf8: UnsafeBufferPointer<UInt8>) {
    withUnsafeBytes(of: UInt32(utf8.count).bigEndian) { hasher.update(bufferPointer: $0) }
    hasher.update(bufferPointer: UnsafeRawBufferPointer(utf8))
  }
}
