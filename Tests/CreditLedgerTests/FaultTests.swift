import Foundation
import GRDB
import Testing

@testable import CreditLedger

@Suite("Resource faults: a full database fails the waiting callers, loses nothing, and recovers")
struct FaultTests {
  @Test(
    "when the file cannot grow, sends fail with storageFailure; acknowledged ones stay; writes resume once it can"
  )
  func databaseFull() async throws {
    let fixture = try Fixture(startingCredits: 1_000_000)
    let ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    var acknowledged: [MailReceipt] = []
    for _ in 0..<5 {
      acknowledged.append(try await ledger.send(Fixture.mail(to: user, credits: 1), as: .service))
    }
    // Disk full, as SQLite sees it: the file may not grow past its current size.
    try await ledger.pool.writeWithoutTransaction { db in
      let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
      try db.execute(sql: "PRAGMA max_page_count = \(pages)")
    }
    let big = SendMail(
      userID: user, recipientEmail: "bob@example.com", subject: "Big",
      content: String(repeating: "x", count: 200_000),
      mailType: .custom, credits: 1)
    var failures = 0
    for _ in 0..<5 {
      do {
        _ = try await ledger.send(big, as: .service)
      } catch LedgerError.storageFailure {
        failures += 1
      }
    }
    #expect(failures > 0, "the full database refused at least one commit")
    // The fault clears.
    try await ledger.pool.writeWithoutTransaction {
      try $0.execute(sql: "PRAGMA max_page_count = 1073741823")
    }
    let after = try await ledger.send(Fixture.mail(to: user, credits: 1), as: .service)
    let sentBig = 5 - failures
    #expect(
      after.remainingCredits == 1_000_000 - 5 - Int64(sentBig) - 1,
      "memory was reloaded: no refused send was counted")
    for receipt in acknowledged {
      #expect(try await ledger.reader.mail(id: receipt.mailID, as: .service).creditsUsed == 1)
    }
    await ledger.close()
    let reopened = try await fixture.open()
    #expect(try await reopened.reader.balance(userID: user, as: .service).credits == after.remainingCredits)
    let replayed = try await reopened.reader.balances(asOf: .seq(.max), as: .service)
    #expect(replayed.first?.credits == after.remainingCredits)
    await reopened.close()
  }

  @Test("text with SQL metacharacters and odd Unicode is stored and read back verbatim")
  func hostileText() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "o'brien+test@example.com", as: .service).id
    let texts = [
      "'; DROP TABLE events; --", "\" OR 1=1 --", "Robert'); DELETE FROM profiles;--", "%_\\[]^$", "🚀 é ß 日本",
      "\u{202E}gnp.exe", "zero\u{200B}width",
    ]
    for text in texts {
      let receipt = try await ledger.send(
        SendMail(
          userID: user, recipientEmail: "bob@example.com", subject: text, content: text, mailType: .custom,
          credits: 1),
        as: .service)
      let mail = try await ledger.reader.mail(id: receipt.mailID, as: .service)
      #expect(mail.subject == text && mail.content == text)
    }
    let page = try await ledger.reader.history(
      userID: user, query: HistoryQuery(recipientEmail: "' OR ''='"), as: .service)
    #expect(page.items.isEmpty)
    #expect(try fixture.eventCount() == 1 + texts.count)
    await ledger.close()
  }
}
