import CreditLedger
import Foundation
import GRDB
import Testing

@Suite("Single writer: concurrent deductions, group commit, never below zero")
struct WriterTests {
  @Test(
    "many concurrent sends on one user: exactly floor(balance / cost) succeed",
    arguments: [(300, 7, 100), (300, 1, 400), (50, 50, 20)])
  func concurrentSendsOnOneUser(balance: Int64, cost: Int64, attempts: Int) async throws {
    let fixture = try Fixture(startingCredits: balance)
    let ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let outcomes = try await withThrowingTaskGroup(of: Int64?.self) { group in
      for _ in 0..<attempts {
        group.addTask {
          do {
            return try await ledger.send(Fixture.mail(to: user, credits: cost), as: .user(user))
              .remainingCredits
          } catch Rejection.insufficientCredits(let current) {
            #expect(current >= 0 && current < cost)
            return nil
          }
        }
      }
      return try await group.reduce(into: [Int64?]()) { $0.append($1) }
    }
    let successes = outcomes.compactMap { $0 }
    #expect(successes.count == min(attempts, Int(balance / cost)))
    #expect(successes.allSatisfy { $0 >= 0 })
    #expect(Set(successes).count == successes.count, "each success saw its own balance")
    let expected = balance - cost * Int64(successes.count)
    #expect(try await ledger.reader.balance(userID: user, as: .service).credits == expected)
    await ledger.close()
    #expect(try fixture.eventCount() == 1 + successes.count)
  }

  @Test("concurrent sends over many users each debit the right user")
  func concurrentSendsOverManyUsers() async throws {
    let fixture = try Fixture(startingCredits: 10)
    let ledger = try await fixture.open()
    var users: [UUID] = []
    for n in 0..<20 { users.append(try await ledger.signUp(email: "u\(n)@example.com", as: .service).id) }
    try await withThrowingTaskGroup(of: Void.self) { group in
      for (index, user) in users.enumerated() {
        for _ in 0..<(index % 4) {
          group.addTask { _ = try await ledger.send(Fixture.mail(to: user, credits: 2), as: .service) }
        }
      }
      try await group.waitForAll()
    }
    for (index, user) in users.enumerated() {
      let credits = try await ledger.reader.balance(userID: user, as: .service).credits
      #expect(credits == 10 - 2 * Int64(index % 4))
    }
    await ledger.close()
  }

  @Test("a caller is answered only once its event is committed: another connection sees it")
  func answeredAfterCommit() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let receipt = try await ledger.send(Fixture.mail(to: user, credits: 5), as: .service)
    let raw = try fixture.raw()
    let seen = try await raw.read {
      try Int.fetchOne($0, sql: "SELECT count(*) FROM events WHERE seq = ?", arguments: [receipt.seq])
    }
    #expect(seen == 1)
    await ledger.close()
  }

  @Test(
    "a writer that never parks on its empty queue, and one that parks at once, both take commands after a pause and close",
    .timeLimit(.minutes(1)), arguments: [Duration.zero, .seconds(3600)])
  func idleSpin(spinMax: Duration) async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open { $0.limits.writerIdleSpinMax = spinMax }
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    try await Task.sleep(for: .milliseconds(20))
    #expect(try await ledger.send(Fixture.mail(to: user, credits: 5), as: .service).remainingCredits == 295)
    try await Task.sleep(for: .milliseconds(20))
    // Closing while the writer looks at its empty queue: it must see the close, not spin on.
    await ledger.close()
    #expect(try fixture.eventCount() == 2)
  }

  @Test("a closed ledger refuses commands and appends nothing")
  func closedLedgerRefuses() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    await ledger.close()
    await #expect(throws: LedgerError.closed) {
      try await ledger.signUp(email: "ada@example.com", as: .service)
    }
    #expect(try fixture.eventCount() == 0)
  }

  @Test("balances come back after a restart: the writer reloads them")
  func restartKeepsBalances() async throws {
    let fixture = try Fixture()
    var ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    _ = try await ledger.send(Fixture.mail(to: user, credits: 290), as: .service)
    await ledger.close()
    ledger = try await fixture.open()
    await #expect(throws: Rejection.insufficientCredits(currentCredits: 10)) {
      try await ledger.send(Fixture.mail(to: user, credits: 11), as: .service)
    }
    #expect(try await ledger.send(Fixture.mail(to: user, credits: 10), as: .service).remainingCredits == 0)
    await ledger.close()
  }
}
