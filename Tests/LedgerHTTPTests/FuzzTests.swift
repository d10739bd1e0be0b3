import CreditLedger
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Fuzzing the HTTP layer: mutated bodies never get a 5xx, and a refused request writes nothing")
struct FuzzTests {
  static let cases = Int(ProcessInfo.processInfo.environment["LEDGER_FUZZ_CASES"] ?? "") ?? 400

  /// Values that have broken JSON layers before: wrong types, bounds, nulls, nesting, text
  /// meant for SQL or for mail headers.
  static let hostile: [String] = [
    "null", "true", "0", "-1", "1.5", "1e300", "99999999999999999999999", "-9223372036854775808",
    "9223372036854775807", "\"\"", "\"x\"", "[]", "{}", "[1,2]", "{\"a\":{\"b\":[null]}}",
    "\"' OR 1=1; DROP TABLE events; --\"", "\"a\\r\\nBcc: evil@example.com\"", "\"\\u0000\"",
    "\"\(String(repeating: "x", count: 5000))\"", "\"custom\"", "\"template\"", "\"ada@example.com\"",
    "\"00000000-0000-4000-8000-000000000001\"", "\"🚀\"",
  ]

  enum Target: CaseIterable {
    case send, signUp, patchProfile, grant, refund
  }

  @Test("seeded random mutations of every write route's body")
  func mutatedBodies() async throws {
    let fixture = try await HTTPFixture()
    let user = try await fixture.signUp(credits: 1_000_000)
    let userToken = try await fixture.token(sub: user.lowercased)
    let serviceToken = try await fixture.token(role: "service_role")
    let mail = try await fixture.ledger.send(
      SendMail(
        userID: user, recipientEmail: "bob@example.com", subject: "Hi", content: "<p>x</p>",
        mailType: .custom,
        credits: 1), as: .service)
    let ledger = fixture.ledger
    try await fixture.live { client in
      var generator = SeededGenerator(seed: 7)
      var statuses: [Int: Int] = [:]
      for _ in 0..<Self.cases {
        let target = Target.allCases.randomElement(using: &generator)!
        let (method, uri, valid) = Self.request(target, user: user, mail: mail.mailID)
        let body = Self.mutate(valid, using: &generator)
        let token = Bool.random(using: &generator) ? serviceToken : userToken
        let before = try await ledger.reader.head(as: .service).seq
        let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        let status = try await client.execute(
          uri: uri, method: method, headers: headers, body: ByteBuffer(bytes: body)
        ) { $0.status.code }
        statuses[status, default: 0] += 1
        #expect(
          status < 500, "\(method) \(uri) \(String(decoding: body, as: UTF8.self).prefix(200)) → \(status)")
        if !(200..<300).contains(status) {
          let after = try await ledger.reader.head(as: .service).seq
          #expect(after == before, "a refused request (\(status)) wrote an event")
        }
      }
      #expect(statuses.keys.contains { (200..<300).contains($0) }, "some mutations stay valid: \(statuses)")
      #expect(statuses.keys.contains { (400..<500).contains($0) }, "\(statuses)")
    }
  }

  static func request(_ target: Target, user: UUID, mail: UUID) -> (
    HTTPRequest.Method, String, [String: String]
  ) {
    switch target {
    case .send:
      (
        .post, "/v1/mails",
        [
          "user_id": "\"\(user.lowercased)\"", "recipient_email": "\"bob@example.com\"", "subject": "\"Hi\"",
          "content": "\"<p>x</p>\"", "mail_type": "\"custom\"", "credits": "1",
        ]
      )
    case .signUp: (.post, "/v1/users", ["email": "\"new@example.com\"", "credits": "5"])
    case .patchProfile: (.patch, "/v1/profile", ["email": "\"ada2@example.com\""])
    case .grant: (.post, "/v1/users/\(user.lowercased)/credits", ["credits": "3", "reason": "\"promo\""])
    case .refund: (.post, "/v1/mails/\(mail.lowercased)/refund", ["credits": "1"])
    }
  }

  /// A valid body with zero to three mutations, or now and then bytes that are not JSON at all.
  static func mutate(_ valid: [String: String], using generator: inout SeededGenerator) -> [UInt8] {
    var fields = valid
    switch Int.random(in: 0..<20, using: &generator) {
    case 0: return Array("{\"credits\": 1".utf8)  // truncated
    case 1: return [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D]  // invalid UTF-8 in a key
    case 2: return Array("[1, 2, 3]".utf8)
    case 3: return []
    default: break
    }
    for _ in 0..<Int.random(in: 0...3, using: &generator) {
      let key = fields.keys.sorted().randomElement(using: &generator) ?? "credits"
      switch Int.random(in: 0..<4, using: &generator) {
      case 0: fields[key] = nil
      case 1: fields["unknown_\(Int.random(in: 0..<3, using: &generator))"] = "1"
      default: fields[key] = hostile.randomElement(using: &generator)!
      }
    }
    let text =
      "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
    return Array(text.utf8)
  }
}
