import Foundation

extension UUID {
  /// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in either case without Foundation's
  /// `sscanf`, which was 4% of a rebuild in the profile.
  init?(hyphenated text: String) {
    var text = text
    let parsed: uuid_t? = text.withUTF8 { bytes -> uuid_t? in
      guard bytes.count == 36 else { return nil }
      var raw = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).uuid
      let ok = withUnsafeMutableBytes(of: &raw) { out -> Bool in
        var nibbles = 0
        for (index, byte) in bytes.enumerated() {
          if index == 8 || index == 13 || index == 18 || index == 23 {
            guard byte == UInt8(ascii: "-") else { return false }
            continue
          }
          let value: UInt8
          switch byte {
          case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0")
          case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte - UInt8(ascii: "a") + 10
          case UInt8(ascii: "A")...UInt8(ascii: "F"): value = byte - UInt8(ascii: "A") + 10
          default: return false
          }
          out[nibbles / 2] |= nibbles.isMultiple(of: 2) ? value << 4 : value
          nibbles += 1
        }
        return true
      }
      return ok ? raw : nil
    }
    guard let parsed else { return nil }
    self.init(uuid: parsed)
  }
}

extension UUID {
  /// The id as PostgreSQL prints a `uuid`: lower case with dashes.
  ///
  /// Written digit by digit: Foundation's `uuidString` goes through `printf` on Linux, and
  /// with `lowercased()` after it was more than half of an audit replay that prints ids.
  public var lowercased: String {
    String(unsafeUninitializedCapacity: 36) { text in
      writeLowercased(to: text)
      return 36
    }
  }

  /// Writes ``lowercased``'s 36 bytes at the start of `text`, which has room for them.
  func writeLowercased(to text: UnsafeMutableBufferPointer<UInt8>) {
    precondition(text.count >= 36, "a hyphenated UUID is 36 bytes")
    withUnsafeBytes(of: uuid) { bytes in
      let digits: StaticString = "0123456789abcdef"
      var at = 0
      for (index, byte) in bytes.enumerated() {
        if index == 4 || index == 6 || index == 8 || index == 10 {
          text[at] = UInt8(ascii: "-")
          at += 1
        }
        text[at] = digits.utf8Start[Int(byte >> 4)]
        text[at + 1] = digits.utf8Start[Int(byte & 0x0f)]
        at += 2
      }
    }
  }

  /// Whether `self` sorts before `other` byte by byte: the order of ``lowercased`` too,
  /// without making the strings.
  func precedes(_ other: UUID) -> Bool {
    withUnsafeBytes(of: uuid) { left in
      withUnsafeBytes(of: other.uuid) { right in left.lexicographicallyPrecedes(right) }
    }
  }
}
