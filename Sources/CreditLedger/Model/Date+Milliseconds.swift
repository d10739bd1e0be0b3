import Foundation

extension Date {
  /// Whole milliseconds since 1970, the unit the ledger stores times in.
  var millisecondsSince1970: Int64 {
    Int64((timeIntervalSince1970 * 1000).rounded(.down))
  }

  /// The date `milliseconds` after 1970.
  init(millisecondsSince1970 milliseconds: Int64) {
    self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
  }

  /// ISO 8601 in UTC with milliseconds (`2026-11-25T18:10:07.123Z`), as every output prints times.
  public var iso8601Milliseconds: String {
    let milliseconds = millisecondsSince1970
    var seconds = time_t(milliseconds.floorDivided(by: 1000))
    var parts = tm()
    gmtime_r(&seconds, &parts)
    let fraction = Int(milliseconds - milliseconds.floorDivided(by: 1000) * 1000)
    return String(
      format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900,
      Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min),
      Int(parts.tm_sec), fraction)
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
