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
