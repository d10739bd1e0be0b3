import CreditLedger
import Foundation
import GRDB
import Testing

@Suite("Audit: balances as of a point, statements, replay checks")
struct AuditTests {
  @Test("balances as of a sequence number and a time match a hand-computed history")
  func balancesAsOf() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let ada = try await ledger.signUp(email: "ada@example.com", as: .service).id  // 1: ada 300
    let bob = try await ledger.signUp(email: "bob@example.com", credits: 50, as: .service).id  // 2
    let mail = try await ledger.send(Fixture.mail(to: ada, credits: 20), as: .service)  // 3: ada 280
    _ = try await ledger.grant(userID: bob, credits: 5, as: .service)  // 4: bob 55
    _ = try await ledger.refund(mailID: mail.mailID, credits: 15, as: .service)  // 5: ada 295
    try await ledger.deleteUser(userID: bob, as: .service)  // 6: bob gone
    let reader = ledger.reader
    func at(_ point: AsOf) async throws -> [UUID: Int64] {
      Dictionary(
        uniqueKeysWithValues: try await reader.balances(asOf: point, as: .service).map {
          ($0.userID, $0.credits)
        })
    }
    #expect(try await at(.seq(0)) == [:])
    #expect(try await at(.seq(2)) == [ada: 300, bob: 50])
    #expect(try await at(.seq(4)) == [ada: 280, bob: 55])
    #expect(try await at(.seq(5)) == [ada: 295, bob: 55])
    #expect(try await at(.seq(6)) == [ada: 295])
    let third = try await reader.mail(id: mail.mailID, as: .service).sentAt
    #expect(try await at(.time(third)) == [ada: 280, bob: 50])
    #expect(try await at(.time(Date(timeIntervalSince1970: 0))) == [:])
    await ledger.close()
  }

  @Test("a statement lists each event with the running balance, and stops at as-of")
  func statement() async throws {
    let ledger = try await Fixture().open()
    let ada = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let mail = try await ledger.send(Fixture.mail(to: ada, credits: 20), as: .service)
    _ = try await ledger.grant(userID: ada, credits: 7, reason: "promo", as: .service)
    _ = try await ledger.refund(mailID: mail.mailID, as: .service)
    _ = try await ledger.changeEmail(userID: ada, email: "ada@new.example", as: .service)
    let full = try await ledger.reader.statement(userID: ada, as: .service)
    #expect(
      full.lines.map(\.kind) == [.userSignedUp, .mailSent, .creditsGranted, .creditsRefunded, .emailChanged])
    #expect(full.lines.map(\.credits) == [300, -20, 7, 20, 0])
    #expect(full.lines.map(\.creditsAfter) == [300, 280, 287, 307, 307])
    #expect(full.lines[1].mailID == mail.mailID && full.lines[2].detail == "promo")
    let early = try await ledger.reader.statement(userID: ada, asOf: .seq(2), as: .service)
    #expect(early.lines.map(\.creditsAfter) == [300, 280])
    await #expect(throws: Rejection.userNotFound(ada)) {
      try await ledger.reader.statement(userID: ada, asOf: .seq(0), as: .service)
    }
    await ledger.close()
  }

  @Test("the service can still audit a deleted user's statement")
  func deletedUserStatement() async throws {
    let ledger = try await Fixture().open()
    let bob = try await ledger.signUp(email: "bob@example.com", as: .service).id
    try await ledger.deleteUser(userID: bob, as: .service)
    let lines = try await ledger.reader.statement(userID: bob, as: .service).lines
    #expect(lines.map(\.kind) == [.userSignedUp, .userDeleted])
    #expect(lines.last?.creditsAfter == 0)
    await ledger.close()
  }

  @Test("replay checks every event: a forged balance in the log is caught")
  func replayCatchesForgedBalance() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let ada = try await ledger.signUp(email: "ada@example.com", as: .service).id
    _ = try await ledger.grant(userID: ada, credits: 5, as: .service)
    await ledger.close()
    // Someone with the sqlite3 shell drops the guard and rewrites the grant.
    try await fixture.raw().write { db in
      try db.execute(sql: "DROP TRIGGER events_refuse_update")
      try db.execute(
        sql: "UPDATE events SET payload = replace(payload, '\"credits\":5', '\"credits\":500') WHERE seq = 2")
    }
    let reader = try LedgerReader.open(path: fixture.path)
    await #expect(
      throws: LedgerError.corruptLog(seq: 2, reason: "records credits_after 305, replay gives 800")
    ) {
      try await reader.balances(asOf: .seq(.max), as: .service)
    }
  }
}
