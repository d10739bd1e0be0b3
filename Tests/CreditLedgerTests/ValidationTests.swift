import CreditLedger
import Foundation
import Testing

@Suite("Bad input: a clear error naming the field, and nothing appended")
struct ValidationTests {
  static let user = Fixture.id(1)

  static func send(
    to: String = "bob@example.com", subject: String = "Hi", content: String = "<p>x</p>",
    credits: Int64 = 1
  ) -> Command {
    .send(
      SendMail(
        userID: user, recipientEmail: to, subject: subject, content: content, mailType: .custom,
        credits: credits))
  }

  static let cases: [(Command, String?, String)] = [
    (send(to: ""), nil, "recipient_email"),
    (send(to: "bob"), nil, "recipient_email"),
    (send(to: "bob@localhost"), nil, "recipient_email"),
    (send(to: "bob @example.com"), nil, "recipient_email"),
    (send(to: "a@b@example.com"), nil, "recipient_email"),
    (send(subject: ""), nil, "subject"),
    (send(subject: "   "), nil, "subject"),
    (send(subject: "Hi\r\nBcc: eve@example.com"), nil, "subject"),
    (send(subject: String(repeating: "x", count: 999)), nil, "subject"),
    (send(content: ""), nil, "content"),
    (send(content: String(repeating: "x", count: 512 * 1024 + 1)), nil, "content"),
    (send(content: "\u{0}<p>x</p>"), nil, "content"),
    (send(content: "<p>x\u{0}</p>"), nil, "content"),
    (send(content: String(repeating: "y", count: 1000) + "\u{0}"), nil, "content"),
    (send(credits: 0), nil, "credits"),
    (send(credits: -5), nil, "credits"),
    (send(credits: 1_000_000_001), nil, "credits"),
    (send(), "", "idempotency_key"),
    (send(), "has space", "idempotency_key"),
    (send(), String(repeating: "k", count: 256), "idempotency_key"),
    (.signUp(email: "not-an-email"), nil, "email"),
    (.signUp(email: "eve@example.com", credits: -1), nil, "credits"),
    (.grant(userID: user, credits: 0), nil, "credits"),
    (.grant(userID: user, credits: 5, reason: "line\nbreak"), nil, "reason"),
    (.refund(mailID: user, credits: 0), nil, "credits"),
    (.changeEmail(userID: user, email: "@example.com"), nil, "email"),
  ]

  @Test("each malformed field is named and nothing is appended", arguments: cases)
  func malformedInput(command: Command, key: String?, field: String) async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    _ = try await ledger.signUp(email: "ada@example.com", as: .service)
    await #expect {
      try await ledger.execute(command, idempotencyKey: key, as: .service)
    } throws: { error in
      (error as? Rejection)?.field == field
    }
    #expect(try fixture.eventCount() == 1)
    await ledger.close()
  }

  @Test("a mail_type outside the two is refused where text becomes a MailType")
  func mailTypeOutsideTheTwo() {
    #expect(MailType(rawValue: "newsletter") == nil)
    #expect(MailType.allCases.map(\.rawValue) == ["custom", "template"])
  }

  @Test("unknown users, refunds twice and over-refunds are refused and append nothing")
  func stateRules() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let mail = try await ledger.send(Fixture.mail(to: user, credits: 10), as: .service).mailID
    let stranger = UUID()
    await #expect(throws: Rejection.userNotFound(stranger)) {
      try await ledger.send(Fixture.mail(to: stranger), as: .service)
    }
    await #expect(throws: Rejection.mailNotFound(stranger)) {
      try await ledger.refund(mailID: stranger, as: .service)
    }
    await #expect(throws: Rejection.refundExceedsDebit(mailID: mail, creditsUsed: 10)) {
      try await ledger.refund(mailID: mail, credits: 11, as: .service)
    }
    #expect(try await ledger.refund(mailID: mail, credits: 4, as: .service).remainingCredits == 294)
    await #expect(throws: Rejection.mailAlreadyRefunded(mail)) {
      try await ledger.refund(mailID: mail, as: .service)
    }
    await #expect(throws: Rejection.userAlreadyExists(user)) {
      try await ledger.signUp(email: "x@example.com", userID: user, as: .service)
    }
    #expect(try fixture.eventCount() == 3)
    await ledger.close()
  }

  @Test("insufficient credits returns the current credits and deducts nothing")
  func insufficientCredits() async throws {
    let fixture = try Fixture(startingCredits: 4)
    let ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    await #expect(throws: Rejection.insufficientCredits(currentCredits: 4)) {
      try await ledger.send(Fixture.mail(to: user, credits: 5), as: .service)
    }
    #expect(try await ledger.reader.balance(userID: user, as: .service).credits == 4)
    #expect(try fixture.eventCount() == 1)
    await ledger.close()
  }

  @Test("a grant past the balance limit is refused")
  func balanceLimit() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open {
      $0.limits.creditsBalanceMax = 1_000
    }
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    await #expect(throws: Rejection.creditsBalanceLimitExceeded(currentCredits: 300)) {
      try await ledger.grant(userID: user, credits: 701, as: .service)
    }
    #expect(try await ledger.grant(userID: user, credits: 700, as: .service).credits == 1_000)
    await ledger.close()
  }

  @Test("rules apply in their documented order of precedence")
  func precedence() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let stranger = UUID()
    // notPermitted before invalidField
    await #expect(throws: Rejection.notPermitted("grant needs the service role")) {
      try await ledger.grant(userID: user, credits: -1, as: .user(user))
    }
    // invalidField before userNotFound
    await #expect(throws: Rejection.invalidField(field: "credits", reason: "must be positive")) {
      try await ledger.send(Fixture.mail(to: stranger, credits: 0), as: .service)
    }
    // idempotencyKeyReused before insufficientCredits
    _ = try await ledger.send(Fixture.mail(to: user, credits: 1), idempotencyKey: "k", as: .service)
    await #expect(throws: Rejection.idempotencyKeyReused("k")) {
      try await ledger.send(Fixture.mail(to: user, credits: 9_999), idempotencyKey: "k", as: .service)
    }
    await ledger.close()
  }
}
