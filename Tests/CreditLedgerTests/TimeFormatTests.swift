import Foundation
import Testing

@testable import CreditLedger

@Suite("Times: the one ISO 8601 form printed and read back exactly")
struct TimeFormatTests {
  @Test(
    "milliseconds print as ISO 8601 UTC and parse back to the same instant",
    arguments: [
      (0, "1970-01-01T00:00:00.000Z"), (1_764_000_000_123, "2025-11-24T16:00:00.123Z"),
      (-1, "1969-12-31T23:59:59.999Z"), (951_782_400_007, "2000-02-29T00:00:00.007Z"),
    ] as [(Int64, String)])
  func roundTrip(milliseconds: Int64, text: String) throws {
    let date = Date(millisecondsSince1970: milliseconds)
    #expect(date.iso8601Milliseconds == text)
    #expect(Date(iso8601Milliseconds: text)?.millisecondsSince1970 == milliseconds)
    if milliseconds >= 0 {
      // Foundation's own parser is a microsecond off before 1970; it reads user input only.
      #expect(Date(iso8601: text)?.millisecondsSince1970 == milliseconds)
    }
  }

  @Test(
    "anything but that exact form is refused by the import parser",
    arguments: [
      "2026-02-31T00:00:00.000Z", "2026-11-25T24:00:00.000Z", "2026-11-25T18:10:07Z",
      "2026-11-25 18:10:07.123Z", "2026-11-25T18:10:07.123+00:00", "", "2026-1x-25T18:10:07.123Z",
    ])
  func refused(text: String) {
    #expect(Date(iso8601Milliseconds: text) == nil)
  }
}
