import Foundation

/// Mail ids that carry their send's sequence number, so a mail is found by its `mails` row
/// (whose key is that number) and `mails.id` needs no index of its own.
///
/// The writer takes an id from ``LedgerConfiguration/makeID`` (a UUID version 7 by default:
/// 48 bits of Unix milliseconds, then random bits) and puts the send's `seq` in its last 62
/// bits, after the variant — RFC 9562's `rand_b`, used as a counter (its "method 1"). Two
/// sends never share a `seq`, so their ids never collide, and ids still sort by time. The
/// unique index this replaces cost a B-tree insert a mail in every catch-up.
///
/// An id that does not carry the `seq` of its own row — one minted before, or imported from
/// a log that has them — is listed in `mail_ids`, which a lookup reads first.
enum MailID {
  /// The last 62 bits: where an id carries its sequence number.
  private static let seqMask: UInt64 = (1 << 62) - 1

  /// `id` with `seq` as its last 62 bits and RFC 9562's variant (`10`) before them.
  static func carrying(_ seq: Int64, in id: UUID) -> UUID {
    precondition(seq > 0, "a sequence number is positive")
    var bytes = id.uuid
    withUnsafeMutableBytes(of: &bytes) { raw in
      let tail = (UInt64(seq) & seqMask) | (1 << 63)
      for index in 0..<8 { raw[8 + index] = UInt8(truncatingIfNeeded: tail >> (56 - 8 * index)) }
    }
    return UUID(uuid: bytes)
  }

  /// The sequence number `id` would carry: its last 62 bits. The row there is its mail only
  /// if that row's id is `id` (see `rowCondition`).
  static func seq(of id: UUID) -> Int64 {
    withUnsafeBytes(of: id.uuid) { raw in
      var tail: UInt64 = 0
      for index in 8..<16 { tail = tail << 8 | UInt64(raw[index]) }
      return Int64(tail & seqMask)
    }
  }

  /// Whether `id` is the one a send at `seq` carries.
  static func carries(_ id: UUID, seq: Int64) -> Bool {
    self.seq(of: id) == seq && id.uuid.8 & 0xC0 == 0x80
  }
}
