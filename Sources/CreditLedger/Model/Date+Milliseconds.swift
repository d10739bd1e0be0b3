import Foundation

extension Date {
  /// Whole milliseconds since 1970, the unit the ledger stores times in.
  /// A date made from whole milliseconds gives them back exactly — `Date` keeps a Double of
  /// seconds since 2001, about 0.1 µs coarse today, so the product can land a hair below the
  /// integer — and any other is rounded down.
  var millisecondsSince1970: Int64 {
    let milliseconds = timeIntervalSince1970 * 1000
    let nearest = milliseconds.rounded()
    return Int64(abs(milliseconds - nearest) < 1e-3 ? nearest : milliseconds.rounded(.down))
  }

  /// The date `milliseconds` after 1970.
  init(millisecondsSince1970 milliseconds: Int64) {
    self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
  }

  /// ISO 8601 in UTC with milliseconds (`2026-11-25T18:10:07.123Z`), as every output prints times.
  /// Formatted by hand: exports print one per row, and `String(format:)` was a tenth of an
  /// import's time.
  public var iso8601Milliseconds: String {
    let milliseconds = millisecondsSince1970
    var seconds = time_t(milliseconds.floorDivided(by: 1000))
    var parts = tm()
    gmtime_r(&seconds, &parts)
    let fraction = Int(milliseconds - milliseconds.floorDivided(by: 1000) * 1000)
    var text: [UInt8] = []
    text.reserveCapacity(24)
    func digits(_ value: Int, _ count: Int, then separator: Character?) {
      var divisor = 1
      for _ in 1..<count { divisor *= 10 }
      var rest = max(0, value)
      for _ in 0..<count {
        text.append(UInt8(ascii: "0") + UInt8((rest / divisor) % 10))
        rest %= divisor
        divisor /= 10
      }
      if let separator { text.append(separator.asciiValue!) }
    }
    digits(Int(parts.tm_year) + 1900, 4, then: "-")
    digits(Int(parts.tm_mon) + 1, 2, then: "-")
    digits(Int(parts.tm_mday), 2, then: "T")
    digits(Int(parts.tm_hour), 2, then: ":")
    digits(Int(parts.tm_min), 2, then: ":")
    digits(Int(parts.tm_sec), 2, then: ".")
    digits(fraction, 3, then: "Z")
    return String(decoding: text, as: UTF8.self)
  }

  /// Parses exactly the form ``iso8601Milliseconds`` prints, without a formatter: imports
  /// read one per event. Nil for anything else.
  init?(iso8601Milliseconds text: String) {
    let bytes = Array(text.utf8)
    guard bytes.count == 24, bytes[23] == UInt8(ascii: "Z") else { return nil }
    func number(_ from: Int, _ count: Int) -> Int? {
      var value = 0
      for byte in bytes[from..<from + count] {
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
        value = value * 10 + Int(byte - UInt8(ascii: "0"))
      }
      return value
    }
    let separators: [(Int, Character)] = [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, ".")]
    guard separators.allSatisfy({ bytes[$0.0] == $0.1.asciiValue }),
      let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
      let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
      let milliseconds = number(20, 3), (1...12).contains(month), (1...31).contains(day),
      hour < 24, minute < 60, second < 60
    else { return nil }
    var parts = tm()
    parts.tm_year = Int32(year - 1900)
    parts.tm_mon = Int32(month - 1)
    parts.tm_mday = Int32(day)
    parts.tm_hour = Int32(hour)
    parts.tm_min = Int32(minute)
    parts.tm_sec = Int32(second)
    let seconds = Int64(timegm(&parts))
    self.init(millisecondsSince1970: seconds * 1000 + Int64(milliseconds))
    // timegm normalises 31 February into March: refuse what does not print back the same.
    guard iso8601Milliseconds == text else { return nil }
  }

  /// Parses ISO 8601: a full time with a zone (fraction optional), or a date alone (midnight UTC).
  public init?(iso8601 text: String) {
    let withFraction = ISO8601DateFormatter()
    withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    let plain = ISO8601DateFormatter()
    plain.formatOptions = [.withInternetDateTime]
    let dateOnly = ISO8601DateFormatter()
    dateOnly.formatOptions = [.withFullDate]
    guard
      let date = withFraction.date(from: text) ?? plain.date(from: text)
        ?? dateOnly.date(from: text)
    else { return nil }
    self = date
  }
}

extension Int64 {
  fileprivate func floorDivided(by divisor: Int64) -> Int64 {
    let quotient = self / divisor
    return (self % divisor < 0) ? quotient - 1 : quotient
  }
}
