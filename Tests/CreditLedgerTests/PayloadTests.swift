import Foundation
import Testing

@testable import CreditLedger

@Suite("Event payloads: the hand-written encoder and decoder agree with JSON")
struct PayloadTests {
  static let tricky = [
    "plain", "quote \" and backslash \\", "line\nbreak\ttab\r", "control \u{01}\u{1F}", "é 日本 🚀",
    "slash / and <p>html</p>", "",
  ]

  @Test("every body survives encode → decode, whatever its text", arguments: tricky)
  func roundTrip(text: String) throws {
    let mail = Event.Mail(
      id: UUID(), recipientEmail: "bob@example.com", subject: text, content: text, mailType: .template,
      creditsUsed: 7)
    let bodies: [Event.Body] = [
      .userSignedUp(email: text, credits: 300),
      .creditsGranted(credits: 5, reason: text, creditsAfter: 305),
      .creditsGranted(credits: 5, reason: nil, creditsAfter: 305),
      .mailSent(mail, creditsAfter: 298),
      .creditsRefunded(mailID: mail.id, credits: 7, creditsAfter: 305),
      .emailChanged(email: text),
      .userDeleted,
    ]
    for body in bodies {
      let encoded = EventPayload.encode(body)
      let kind = Event(seq: 1, userID: UUID(), recordedAt: Date(), idempotencyKey: nil, body: body).kind
      #expect(EventPayload.decode(encoded, kind: kind) == body)
      // A replay skips a mail's body: everything else reads the same.
      var bodiless = body
      if case .mailSent(var sent, let after) = body {
        sent.content = ""
        bodiless = .mailSent(sent, creditsAfter: after)
      }
      #expect(EventPayload.decode(encoded, kind: kind, withContent: false) == bodiless)
      // Foundation agrees that it is JSON, and reads the same text back.
      let object = try #require(try JSONSerialization.jsonObject(with: Data(encoded.utf8)) as? [String: Any])
      if case .emailChanged = body { #expect(object["email"] as? String == text) }
    }
  }

  @Test("JSON written by other tools decodes too: spaces, escaped slashes, \\u escapes, pairs")
  func otherWriters() {
    let text = #"{ "email" : "a\/b\u00e9\ud83d\ude80@example.com" , "credits" : 300 }"#
    #expect(
      EventPayload.decode(text, kind: .userSignedUp)
        == .userSignedUp(email: "a/bé🚀@example.com", credits: 300))
  }

  @Test(
    "a payload missing what its kind needs does not decode",
    arguments: [
      #"{"credits":300}"#, #"{"email":5,"credits":300}"#, #"{"email":"a@b.c","credits":"300"}"#, "not json",
      "",
    ])
  func incomplete(text: String) {
    #expect(EventPayload.decode(text, kind: .userSignedUp) == nil)
  }
}

@Suite("Scanning for bytes JSON must escape, eight at a time")
struct EscapeScanTests {
  @Test(
    "each byte value, at every offset of a 23-byte text (whole words and the tail), is found exactly when JSON escapes it"
  )
  func everyByteEveryOffset() {
    for value in UInt8(0)...UInt8(0x7F) {
      for offset in 0..<23 {
        var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 23)
        bytes[offset] = value
        let text = String(decoding: bytes, as: UTF8.self)
        let expected = value < 0x20 || value == 0x22 || value == 0x5C
        #expect(text.needsJSONEscaping == expected, "byte \(value) at \(offset)")
      }
    }
  }

  @Test("multi-byte characters beside a special byte do not hide it or fake one")
  func multiByte() {
    #expect(!"é€😀 plain text é€😀 €€€€€€€€".needsJSONEscaping)
    #expect("é€😀 text with a \" quote".needsJSONEscaping)
    #expect("€€€€€€€€€€€€\\".needsJSONEscaping)
    #expect("😀😀😀😀😀😀\n".needsJSONEscaping)
    #expect(!"".needsJSONEscaping)
  }
}

@Suite("UUID parsing")
struct UUIDParsingTests {
  @Test("the fast parser agrees with Foundation's", arguments: (0..<50).map { _ in UUID() })
  func agrees(id: UUID) {
    #expect(UUID(hyphenated: id.uuidString) == id)
    #expect(UUID(hyphenated: id.lowercased) == id)
  }

  @Test(
    "it refuses what is not a hyphenated UUID",
    arguments: [
      "", "not-a-uuid", "00000000000000000000000000000000", "00000000-0000-0000-0000-00000000000g",
      "00000000-0000-0000-0000-0000000000000", "00000000_0000-0000-0000-000000000000",
    ])
  func refuses(text: String) {
    #expect(UUID(hyphenated: text) == nil)
  }
}
