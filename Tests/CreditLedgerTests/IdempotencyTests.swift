import CreditLedger
import Foundation
import Testing

@Suite("Idempotency keys")
struct IdempotencyTests {
  @Test("a retry with the same key returns the original result and appends nothing")
  func retryReturnsOriginal() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", idempotencyKey: "s-1", as: .service)
    let again = try await ledger.signUp(email: "ada@example.com", idempotencyKey: "s-1", as: .service)
    #expect(again == user)
    let mail = Fixture.mail(to: user.id, credits: 10)
    let first = try await ledger.send(mail, idempotencyKey: "m-1", as: .user(user.id))
    _ = try await ledger.send(Fixture.mail(to: user.id, credits: 1), as: .user(user.id))
    let retry = try await ledger.send(mail, idempotencyKey: "m-1", as: .user(user.id))
    #expect(!first.replayed && retry.replayed, "the retry says it deducted nothing")
    var original = retry
    original.replayed = false
    #expect(original == first, "the original receipt, remaining credits included")
    #expect(try fixture.eventCount() == 3)
    #expect(try await ledger.reader.balance(userID: user.id, as: .service).credits == 289)
    await ledger.close()
  }

  @Test("concurrent retries with one key append once")
  func concurrentRetries() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let mail = Fixture.mail(to: user, credits: 3)
    let receipts = try await withThrowingTaskGroup(of: MailReceipt.self) { group in
      for _ in 0..<16 { group.addTask { try await ledger.send(mail, idempotencyKey: "k", as: .service) } }
      return try await group.reduce(into: [MailReceipt]()) { $0.append($1) }
    }
    // One receipt, sixteen times; exactly one of them deducted the credits.
    #expect(
      Set(
        receipts.map { receipt in
          var original = receipt
          original.replayed = false
          return original
        }
      ).count == 1)
    #expect(receipts.filter { !$0.replayed }.count == 1)
    #expect(try fixture.eventCount() == 2)
    await ledger.close()
  }

  @Test("the same key with a different command is refused and appends nothing")
  func keyReusedForOtherCommand() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    _ = try await ledger.send(Fixture.mail(to: user, credits: 10), idempotencyKey: "k", as: .service)
    await #expect(throws: Rejection.idempotencyKeyReused("k")) {
      try await ledger.send(Fixture.mail(to: user, credits: 11), idempotencyKey: "k", as: .service)
    }
    await #expect(throws: Rejection.idempotencyKeyReused("k")) {
      try await ledger.grant(userID: user, credits: 10, idempotencyKey: "k", as: .service)
    }
    #expect(try fixture.eventCount() == 2)
    await ledger.close()
  }

  @Test("keys belong to their principal: one user's key never collides with another's")
  func keysArePerPrincipal() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let ada = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let bob = try await ledger.signUp(email: "bob@example.com", as: .service).id
    let a = try await ledger.send(Fixture.mail(to: ada, credits: 1), idempotencyKey: "k", as: .user(ada))
    let b = try await ledger.send(Fixture.mail(to: bob, credits: 2), idempotencyKey: "k", as: .user(bob))
    #expect(a.mailID != b.mailID)
    #expect(try fixture.eventCount() == 4)
    await ledger.close()
  }

  @Test("a rejected command is not remembered: its retry is judged afresh")
  func rejectionNotRemembered() async throws {
    let fixture = try Fixture(startingCredits: 5)
    let ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let mail = Fixture.mail(to: user, credits: 8)
    await #expect(throws: Rejection.insufficientCredits(currentCredits: 5)) {
      try await ledger.send(mail, idempotencyKey: "k", as: .service)
    }
    _ = try await ledger.grant(userID: user, credits: 5, as: .service)
    #expect(try await ledger.send(mail, idempotencyKey: "k", as: .service).remainingCredits == 2)
    await ledger.close()
  }

  @Test("the key survives a restart")
  func keySurvivesRestart() async throws {
    let fixture = try Fixture()
    var ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let first = try await ledger.grant(userID: user, credits: 7, idempotencyKey: "g", as: .service)
    await ledger.close()
    ledger = try await fixture.open()
    #expect(try await ledger.grant(userID: user, credits: 7, idempotencyKey: "g", as: .service) == first)
    #expect(try fixture.eventCount() == 2)
    await ledger.close()
  }
}
