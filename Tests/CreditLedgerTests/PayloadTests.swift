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
      let encoded = Self.encode(body)
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

  static func encode(_ body: Event.Body, reusing json: inout JSONText) -> String {
    json.reset()
    EventPayload.encode(body, into: &json)
    return String(decoding: json.finish(), as: UTF8.self)
  }

  static func encode(_ body: Event.Body) -> String {
    var json = JSONText()
    return encode(body, reusing: &json)
  }

  @Test("the bytes are pinned for every kind: sorted keys, nils left out, escapes as RFC 8259 writes them")
  func pinned() {
    let id = UUID(uuidString: "01A2142A-3560-7C06-A800-67F93D794A49")!
    let mail = Event.Mail(
      id: id, recipientEmail: "bob@example.com", subject: "Tab\there \"quoted\" \\ \u{01}",
      content: "<p>é 🚀</p>\n", mailType: .custom, creditsUsed: 7)
    #expect(
      Self.encode(.mailSent(mail, creditsAfter: 293))
        == #"{"content":"<p>é 🚀</p>\n","credits_after":293,"credits_used":7,"#
        + #""mail_id":"01a2142a-3560-7c06-a800-67f93d794a49","mail_type":"custom","#
        + #""recipient_email":"bob@example.com","subject":"Tab\there \"quoted\" \\ \u0001"}"#)
    #expect(
      Self.encode(.creditsGranted(credits: 0, reason: nil, creditsAfter: 1_000_000_000_000))
        == #"{"credits":0,"credits_after":1000000000000}"#)
    #expect(
      Self.encode(.creditsGranted(credits: 5, reason: "promo", creditsAfter: 305))
        == #"{"credits":5,"credits_after":305,"reason":"promo"}"#)
    #expect(
      Self.encode(.creditsRefunded(mailID: id, credits: 7, creditsAfter: 300))
        == #"{"credits":7,"credits_after":300,"mail_id":"01a2142a-3560-7c06-a800-67f93d794a49"}"#)
    #expect(
      Self.encode(.userSignedUp(email: "ada@example.com", credits: 300))
        == #"{"credits":300,"email":"ada@example.com"}"#)
    #expect(Self.encode(.emailChanged(email: "ada@example.org")) == #"{"email":"ada@example.org"}"#)
    #expect(Self.encode(.userDeleted) == "{}")
  }

  @Test("integers at their limits", arguments: [Int64.min, -1, 0, 9, 10, Int64.max])
  func integers(value: Int64) {
    #expect(
      Self.encode(.userSignedUp(email: "a@b.c", credits: value)) == #"{"credits":\#(value),"email":"a@b.c"}"#)
  }

  @Test("a buffer reused for the next event holds only that event: a short one after a long one")
  func reused() {
    var json = JSONText()
    let mail = Event.Mail(
      id: UUID(), recipientEmail: "bob@example.com", subject: "Long",
      content: String(repeating: "x", count: 5000),
      mailType: .template, creditsUsed: 1)
    #expect(Self.encode(.mailSent(mail, creditsAfter: 1), reusing: &json).utf8.count > 5000)
    #expect(
      Self.encode(.emailChanged(email: "ada@example.com"), reusing: &json) == #"{"email":"ada@example.com"}"#)
    #expect(Self.encode(.userDeleted, reusing: &json) == "{}")
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

extension String {
  /// The library scans a text's UTF-8 where it is; the tests ask it of strings.
  fileprivate var needsJSONEscaping: Bool {
    var text = self
    return text.withUTF8 { $0.needsJSONEscaping }
  }
}

@Suite("Scanning for bytes JSON must escape, sixteen at a time")
struct EscapeScanTests {
  @Test(
    "each byte value, at every offset of a 39-byte text (two vectors and the tail), is found exactly when JSON escapes it"
  )
  func everyByteEveryOffset() {
    for value in UInt8(0)...UInt8(0x7F) {
      for offset in 0..<39 {
        var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 39)
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
