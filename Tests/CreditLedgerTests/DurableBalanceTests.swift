import CreditLedger
import Foundation
import Synchronization
import Testing

@Suite("Balances from the writer's memory: durable, without waiting for the projections")
struct DurableBalanceTests {
  @Test("a ledger's balance read does not wait for (or bring on) a catch-up of the projections")
  func balanceDoesNotWaitForProjections() async throws {
    let fixture = try Fixture()
    let ledger = try await ProjectionFileTests.lagging(fixture)
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    _ = try await ledger.send(Fixture.mail(to: user, credits: 9), as: .service)
    #expect(try await ledger.reader.balance(userID: user, as: .service).credits == 291)
    let statistics = ledger.statistics
    #expect(statistics.projectedSeq < statistics.committedSeq, "the read left the projections behind")
    // A reader of the file (another process) sees the projections as they are.
    await #expect(throws: Rejection.userNotFound(user)) {
      try await LedgerReader.open(path: fixture.path).balance(userID: user, as: .service)
    }
    await ledger.close()
  }

  @Test("every kind of event leaves the same balance in memory as in the projections")
  func memoryMatchesProjections() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let (kept, deleted) = try await ProjectionTests.populate(ledger)
    await ledger.waitForProjections()
    let file = try LedgerReader.open(path: fixture.path)
    let fromMemory = try await ledger.reader.balance(userID: kept, as: .service)
    #expect(fromMemory == (try await file.balance(userID: kept, as: .service)))
    #expect(fromMemory.credits == 300 - 15 + 3 + 40)
    await #expect(throws: Rejection.userNotFound(deleted)) {
      try await ledger.reader.balance(userID: deleted, as: .service)
    }
    await #expect(throws: Rejection.userNotFound(kept)) {
      try await ledger.reader.balance(userID: kept, as: .user(deleted))
    }
    await ledger.close()
    await #expect(throws: LedgerError.closed) {
      try await ledger.reader.balance(userID: kept, as: .service)
    }
    let reopened = try await fixture.open()
    #expect(try await reopened.reader.balance(userID: kept, as: .service) == fromMemory)
    await reopened.close()
  }

  @Test("concurrent sends: a balance or profile read sees every deduction acknowledged before it began")
  func readsAfterAcknowledgement() async throws {
    let ledger = try await Fixture().open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let acknowledged = Counter()
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<40 {
        group.addTask {
          _ = try await ledger.send(Fixture.mail(to: user, credits: 1), as: .service)
          let before = acknowledged.value.add(1, ordering: .sequentiallyConsistent).newValue
          let credits = try await ledger.reader.balance(userID: user, as: .service).credits
          #expect(credits <= 300 - Int64(before))
          let profile = try await ledger.reader.profile(userID: user, as: .service).credits
          #expect(profile <= 300 - Int64(before), "profile")
        }
      }
      try await group.waitForAll()
    }
    #expect(try await ledger.reader.balance(userID: user, as: .service).credits == 260)
    await ledger.close()
  }
}

/// Sends acknowledged so far, shared by the callers of one test.
private final class Counter: Sendable {
  let value = Atomic<Int>(0)
}
