import Foundation

/// A link of the log's hash chain: the SHA-256 of an event together with the link before it.
///
/// Each event's `hash` covers its own columns and the previous event's `hash`, so changing,
/// removing or reordering any committed event changes every link after it. An auditor who
/// noted the head (`ledger head`) can later prove that nothing before it changed.
public struct ChainHash: Sendable, Hashable, CustomStringConvertible, Encodable {
  /// The 32 bytes of the digest.
  public let bytes: [UInt8]

  /// The link before the first event: 32 zero bytes.
  public static let genesis = ChainHash(digest: [UInt8](repeating: 0, count: 32))

  /// Wraps 32 digest bytes; nil for any other length.
  public init?(bytes: [UInt8]) {
    guard bytes.count == 32 else { return nil }
    self.bytes = bytes
  }

  init(digest: [UInt8]) {
    precondition(digest.count == 32, "a SHA-256 digest is 32 bytes")
    bytes = digest
  }

  /// Parses 64 hexadecimal digits (either case); nil for anything else.
  public init?(hex: String) {
    let digits = Array(hex.utf8)
    guard digits.count == 64 else { return nil }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(32)
    for index in stride(from: 0, to: 64, by: 2) {
      guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else {
        return nil
      }
      bytes.append(high << 4 | low)
    }
    self.bytes = bytes
  }

  /// Lower-case hexadecimal, 64 digits: the form every output uses.
  public var hex: String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(64)
    for byte in bytes {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
  }

  /// ``hex``.
  public var description: String { hex }

  /// Encodes as ``hex``, the form every output prints.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(hex)
  }

  private static func nibble(_ digit: UInt8) -> UInt8? {
    switch digit {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
    default: nil
    }
  }
}
