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
    var feed = Feed()
    previous.bytes.withUnsafeBytes { feed.append($0) }
    feed.append(seq)
    feed.append(recordedAt)
    withUnsafeBytes(of: userID.uuid) { feed.append($0) }
    feed.append(kind)
    feed.append(text: payload)
    if let idempotencyKey {
      feed.append(byte: 1)
      feed.append(idempotencyKey)
    } else {
      feed.append(byte: 0)
    }
    return feed.finalize()
  }

  /// Gathers the small fields of a link into one buffer before they reach the hash: each
  /// `SHA256.update` has a fixed cost (swift-crypto's exclusivity check, BoringSSL's entry),
  /// and field by field an event took nine of them; now at most three (the fields before the
  /// payload, the payload, the key). The bytes hashed are the same.
  private struct Feed {
    private var hasher = SHA256()
    private var buffer:
      (
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
      ) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    private var count = 0

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
      let room = MemoryLayout.size(ofValue: buffer)
      if count + bytes.count > room {
        flush()
        if bytes.count > room {
          hasher.update(bufferPointer: bytes)
          return
        }
      }
      let at = count
      withUnsafeMutableBytes(of: &buffer) {
        UnsafeMutableRawBufferPointer(rebasing: $0[at...]).copyMemory(from: bytes)
      }
      count += bytes.count
    }

    mutating func append(byte: UInt8) {
      withUnsafeBytes(of: byte) { append($0) }
    }

    /// An integer as 8 big-endian bytes.
    mutating func append(_ value: Int64) {
      withUnsafeBytes(of: value.bigEndian) { append($0) }
    }

    /// A text as its 4-byte big-endian length and its UTF-8.
    mutating func append(_ text: String) {
      var text = text
      text.withUTF8 { append(text: $0) }
    }

    /// The same with the text's UTF-8 where it is.
    mutating func append(text utf8: UnsafeBufferPointer<UInt8>) {
      withUnsafeBytes(of: UInt32(utf8.count).bigEndian) { append($0) }
      append(UnsafeRawBufferPointer(utf8))
    }

    /// Through its bytes: `Array(digest)` copies the 32 bytes through the generic sequence
    /// path, ~2,000 instructions an event on the writer's thread.
    mutating func finalize() -> ChainHash {
      flush()
      return ChainHash(digest: hasher.finalize().withUnsafeBytes { Array($0) })
    }

    private mutating func flush() {
      guard count > 0 else { return }
      let filled = count
      withUnsafeBytes(of: &buffer) {
        hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[..<filled]))
      }
      count = 0
    }
  }
}
