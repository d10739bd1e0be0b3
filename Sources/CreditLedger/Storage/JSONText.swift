import Foundation

/// A minimal writer of one flat JSON object of strings and integers, as UTF-8 bytes in a
/// buffer that can be emptied and reused: each text is copied once, and nothing is validated
/// again at the end.
struct JSONText {
  private var bytes: [UInt8] = [UInt8(ascii: "{")]

  init() {}

  /// Starts a new object, keeping the buffer's room.
  mutating func reset() {
    bytes.removeAll(keepingCapacity: true)
    bytes.append(UInt8(ascii: "{"))
  }

  /// Makes room for `count` more bytes at once, so that the buffer is not grown piece by piece.
  mutating func reserve(_ count: Int) {
    bytes.reserveCapacity(bytes.count + count)
  }

  /// A text field. Keys are names written in the source (the payload's, an export's
  /// columns), which need no escaping: they are copied as they are — scanning seven keys an
  /// event for characters to escape cost the writer's thread ~2,600 instructions a deduction.
  mutating func field(_ key: StaticString, _ value: String?) {
    guard let value else { return }
    self.key(key)
    string(value)
  }

  /// An integer field.
  mutating func field(_ key: StaticString, _ value: Int64?) {
    guard let value else { return }
    self.key(key)
    integer(value)
  }

  /// An id field, written as ``Foundation/UUID/lowercased`` reads, without making that string.
  mutating func field(_ key: StaticString, _ value: UUID?) {
    guard let value else { return }
    self.key(key)
    bytes.append(UInt8(ascii: "\""))
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { text in
      value.writeLowercased(to: text)
      bytes.append(contentsOf: text)
    }
    bytes.append(UInt8(ascii: "\""))
  }

  /// Closes the object and returns its bytes; call ``reset()`` before writing the next.
  mutating func finish() -> [UInt8] {
    bytes.append(UInt8(ascii: "}"))
    return bytes
  }

  /// Closes the object and lends its bytes to `body` without a copy.
  mutating func finish<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
    bytes.append(UInt8(ascii: "}"))
    return try bytes.withUnsafeBufferPointer(body)
  }

  private mutating func key(_ key: StaticString) {
    key.withUTF8Buffer { utf8 in
      assert(!utf8.needsJSONEscaping, "a key is a name the code gives, which needs no escaping")
      if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
      bytes.append(UInt8(ascii: "\""))
      bytes.append(contentsOf: utf8)
      bytes.append(UInt8(ascii: "\""))
      bytes.append(UInt8(ascii: ":"))
    }
  }

  private mutating func integer(_ value: Int64) {
    if value < 0 { bytes.append(UInt8(ascii: "-")) }
    var magnitude = value.magnitude
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes; an Int64 has at most 19 digits
    withUnsafeMutableBytes(of: &digits) { buffer in
      var at = buffer.count
      repeat {
        at -= 1
        buffer[at] = UInt8(ascii: "0") + UInt8(magnitude % 10)
        magnitude /= 10
      } while magnitude > 0
      bytes.append(contentsOf: buffer[at...])
    }
  }

  /// RFC 8259 escaping: quote, backslash and controls; every other byte goes through as is.
  private mutating func string(_ value: String) {
    bytes.append(UInt8(ascii: "\""))
    defer { bytes.append(UInt8(ascii: "\"")) }
    var value = value
    value.withUTF8 { utf8 in
      // Most text needs no escaping: copy it whole.
      guard utf8.needsJSONEscaping else {
        bytes.append(contentsOf: utf8)
        return
      }
      for byte in utf8 { escaped(byte) }
    }
  }

  private mutating func escaped(_ byte: UInt8) {
    switch byte {
    case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
    case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
    case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
    case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
    case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
    case 0..<0x20:
      let hex: StaticString = "0123456789abcdef"
      bytes.append(contentsOf: [
        0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex.utf8Start[Int(byte >> 4)], hex.utf8Start[Int(byte & 0xF)],
      ])
    default: bytes.append(byte)
    }
  }
}
