#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads one flat JSON object whose values are strings or integers: the shape of every event
/// payload. Replaying the log decodes one per event, and Foundation's JSONDecoder made
/// rebuilds and audits run at ~30,000 events/s; anything outside this shape reports false and
/// the caller falls back to JSONDecoder.
enum FlatJSON {
  /// A value of the object.
  enum Value {
    case string(String)
    case integer(Int64)
  }

  /// Calls `field` with each key and value in order; false when `text` is not such an object.
  /// The string value of the key `skipping` is checked but not built: it comes as "" (a
  /// replay has no use for a mail's body, the largest field by far).
  static func forEachField(
    _ text: String, skipping: String? = nil, _ field: (String, Value) -> Void
  ) -> Bool {
    var text = text
    return text.withUTF8 { forEachField(bytes: $0, skipping: skipping, field) }
  }

  /// The same over UTF-8 bytes in place: a replay reads them straight from SQLite's row.
  static func forEachField(
    bytes: UnsafeBufferPointer<UInt8>, skipping: String? = nil, _ field: (String, Value) -> Void
  ) -> Bool {
    var reader = Reader(bytes: bytes)
    guard reader.consume(UInt8(ascii: "{")) else { return false }
    if reader.consume(UInt8(ascii: "}")) { return reader.atEnd }
    repeat {
      guard let key = reader.string(), reader.consume(UInt8(ascii: ":")) else { return false }
      if reader.peek == UInt8(ascii: "\"") {
        let skip = key == skipping
        guard let value = reader.string(building: !skip) else { return false }
        field(key, .string(value))
      } else {
        guard let value = reader.integer() else { return false }
        field(key, .integer(value))
      }
    } while reader.consume(UInt8(ascii: ","))
    return reader.consume(UInt8(ascii: "}")) && reader.atEnd
  }

  private struct Reader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    var peek: UInt8? {
      mutating get {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
      }
    }

    var atEnd: Bool { mutating get { peek == nil } }

    mutating func skipWhitespace() {
      while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
      guard peek == byte else { return false }
      index += 1
      return true
    }

    mutating func integer() -> Int64? {
      skipWhitespace()
      let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
      if negative { index += 1 }
      let start = index
      var value: Int64 = 0
      while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
        let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflowSum) = times.addingReportingOverflow(Int64(bytes[index] - 0x30))
        guard !overflowTimes, !overflowSum else { return nil }
        value = sum
        index += 1
      }
      guard index > start else { return nil }
      return negative ? -value : value
    }

    /// A string; escapes other than `\uXXXX` outside the BMP pairs are decoded as JSON says.
    /// Without `building`, the string is read to its end and "" returned.
    mutating func string(building: Bool = true) -> String? {
      guard consume(UInt8(ascii: "\"")) else { return nil }
      let start = index
      // memchr finds the closing quote (vectorised); a string without a backslash before it,
      // every body the writer stores but those with quotes or control characters, ends there.
      guard let base = bytes.baseAddress,
        let quote = memchr(base + start, Int32(UInt8(ascii: "\"")), bytes.count - start)
      else { return nil }
      let end = base.distance(to: quote.assumingMemoryBound(to: UInt8.self))
      if memchr(base + start, Int32(UInt8(ascii: "\\")), end - start) == nil {
        index = end + 1
        guard building else { return "" }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
      }
      while bytes[index] != UInt8(ascii: "\\") { index += 1 }
      var out = Array(bytes[start..<index])
      while index < bytes.count {
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""):
          return building ? String(decoding: out, as: UTF8.self) : ""
        case UInt8(ascii: "\\"):
          guard index < bytes.count else { return nil }
          let escaped = bytes[index]
          index += 1
          switch escaped {
          case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
          case UInt8(ascii: "b"): out.append(0x08)
          case UInt8(ascii: "f"): out.append(0x0C)
          case UInt8(ascii: "n"): out.append(0x0A)
          case UInt8(ascii: "r"): out.append(0x0D)
          case UInt8(ascii: "t"): out.append(0x09)
          case UInt8(ascii: "u"):
            guard let scalar = unicodeEscape() else { return nil }
            out.append(contentsOf: String(Character(scalar)).utf8)
          default: return nil
          }
        default:
          out.append(byte)
        }
      }
      return nil
    }

    /// The scalar of `\uXXXX` (the `\u` already read), joining a surrogate pair.
    mutating func unicodeEscape() -> Unicode.Scalar? {
      guard let high = hex4() else { return nil }
      if (0xD800..<0xDC00).contains(high) {
        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
          bytes[index + 1] == UInt8(ascii: "u")
        else { return nil }
        index += 2
        guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
        return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
      }
      return Unicode.Scalar(high)
    }

    mutating func hex4() -> UInt32? {
      guard index + 4 <= bytes.count else { return nil }
      let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<index + 4]), as: UTF8.self)
      index += 4
      return UInt32(text, radix: 16)
    }
  }
}
