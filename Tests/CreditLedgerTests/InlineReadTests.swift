import Foundation
import GRDB
import Testing

@testable import CreditLedger

@Suite("Inline reads: short queries on the caller's thread, the pool when none is free")
struct InlineReadTests {
  /// A ledger with one user who sent three mails, closed, so a reader has the file alone.
  func ledgerWithMails() async throws -> (Fixture, UUID) {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    for _ in 0..<3 { _ = try await ledger.send(Fixture.mail(to: user), as: .service) }
    await ledger.close()
    return (fixture, user)
  }

  @Test(
    "with every inline connection busy, a read is refused in place (never waits) and the next one reuses the connection"
  )
  func busyConnectionsFallBack() async throws {
    let (fixture, user) = try await ledgerWithMails()
    let connections = try Storage.openForReading(path: fixture.path, inlineCountMax: 1)
    let inline = try #require(connections.inline)
    let query = "SELECT credits FROM profiles WHERE id = ?"
    let nested = try inline.read { db -> Int64?? in
      #expect(try Int64.fetchOne(db, sql: query, arguments: [user]) == 297)
      return try inline.read { try Int64.fetchOne($0, sql: query, arguments: [user]) }
    }
    #expect(nested == .some(.none), "the one connection was busy: no read in place")
    #expect(try inline.read { try Int64.fetchOne($0, sql: query, arguments: [user]) } == 297)
    inline.close()
    #expect(try inline.read { _ in 1 } == nil, "closed: no connection opened again")
  }

  @Test("with no inline connections every query answers the same through the pool")
  func poolOnly() async throws {
    let (fixture, user) = try await ledgerWithMails()
    var limits = Limits()
    limits.inlineReadConnectionsMax = 0
    let pooled = try LedgerReader.open(path: fixture.path, limits: limits)
    let inline = try LedgerReader.open(path: fixture.path)
    #expect(try #require(pooled.inline).read { _ in 1 } == nil, "no connection to read in place")
    for reader in [pooled, inline] {
      #expect(try await reader.balance(userID: user, as: .service).credits == 297)
      let page = try await reader.history(userID: user, query: HistoryQuery(limit: 2), as: .service)
      #expect(page.items.count == 2 && page.nextCursor != nil)
      let mail = try await reader.mail(id: page.items[0].id, as: .user(user))
      #expect(mail.userID == user)
      #expect(try await reader.profile(userID: user, as: .user(user)).email == "ada@example.com")
    }
    await #expect(throws: Rejection.userNotFound(Fixture.id(999))) {
      try await pooled.history(userID: Fixture.id(999), as: .service)
    }
  }

  @Test("a ledger's reader after close throws instead of opening a connection")
  func afterClose() async throws {
    let (fixture, user) = try await ledgerWithMails()
    let ledger = try await fixture.open()
    #expect(try await ledger.reader.balance(userID: user, as: .service).credits == 297)
    await ledger.close()
    await #expect(throws: (any Error).self) {
      try await ledger.reader.balance(userID: user, as: .service)
    }
  }
}
