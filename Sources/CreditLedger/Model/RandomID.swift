import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Time-ordered random UUIDs (version 7) from a buffer of kernel randomness.
///
/// Foundation's `UUID()` on Linux opened, read and closed `/dev/urandom` for every id: three
/// system calls per mail, which the profile showed on the writer thread. This fills 4 KiB at
/// a time from one descriptor of `/dev/urandom`, kept open, and hands out 16 bytes per id:
/// as unpredictable, a few hundred times fewer calls.
enum RandomID {
  private struct Pool {
    var bytes = [UInt8](repeating: 0, count: 4096)
    var offset = 4096
    let descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
  }

  private static let pool = Mutex(Pool())

  /// A new UUID of version 7: 48 bits of Unix milliseconds, then 74 random bits. Ids made
  /// later sort later. A mail's id keeps the first 12 of those bits and carries its send's
  /// sequence number in the other 62 (``MailID``); a user's keeps them all, unguessable.
  static func make(now: Date = Date()) -> UUID {
    let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000))
    return pool.withLock { pool in
      if pool.offset == pool.bytes.count {
        let descriptor = pool.descriptor
        precondition(descriptor >= 0, "cannot open /dev/urandom")
        pool.bytes.withUnsafeMutableBytes { buffer in
          var filled = 0
          while filled < buffer.count {
            let count = read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            precondition(count > 0 || errno == EINTR, "cannot read /dev/urandom")
            if count > 0 { filled += count }
          }
        }
        pool.offset = 0
      }
      let offset = pool.offset
      pool.offset += 16
      return pool.bytes.withUnsafeBytes { bytes in
        var uuid = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).uuid
        withUnsafeMutableBytes(of: &uuid) { raw in
          raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 16]))
          for index in 0..<6 { raw[index] = UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * index)) }
          raw[6] = (raw[6] & 0x0F) | 0x70  // version 7
          raw[8] = (raw[8] & 0x3F) | 0x80  // RFC 4122 variant
        }
        return UUID(uuid: uuid)
      }
    }
  }
}
