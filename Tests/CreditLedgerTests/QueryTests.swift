import CreditLedger
import Foundation
import Testing

@Suite("Queries: history pages, filters, statistics, one mail")
struct QueryTests {
  /// Ada sends 7 mails: even ones custom to bob, odd ones template to carol; credits n+1.
  func sevenMails() async throws -> (Ledger, UUID, [MailReceipt]) {
    let ledger = try await Fixture().open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    var receipts: [MailReceipt] = []
    for n in 0..<7 {
      let even = n.isMultiple(of: 2)
      receipts.append(
        try await ledger.send(
          Fixture.mail(
            to: user, credits: Int64(n + 1), subject: "mail \(n)", type: even ? .custom : .template,
            recipient: even ? "bob@example.com" : "carol@example.com"), as: .service))
    }
    return (ledger, user, receipts)
  }

  @Test("history is newest first, and cursor pages cover every mail once")
  func keysetPages() async throws {
    let (ledger, user, receipts) = try await sevenMails()
    var seen: [UUID] = []
    var cursor: String?
    var pages = 0
    repeat {
      let page = try await ledger.reader.history(
        userID: user, query: HistoryQuery(limit: 3, cursor: cursor), as: .service)
      seen += page.items.map(\.id)
      cursor = page.nextCursor
      pages += 1
    } while cursor != nil
    #expect(seen == receipts.reversed().map(\.mailID))
    #expect(pages == 3)
    await ledger.close()
  }

  @Test("a cursor page is stable while new mails arrive")
  func cursorStableUnderInserts() async throws {
    let (ledger, user, receipts) = try await sevenMails()
    let first = try await ledger.reader.history(userID: user, query: HistoryQuery(limit: 2), as: .service)
    _ = try await ledger.send(Fixture.mail(to: user), as: .service)
    let second = try await ledger.reader.history(
      userID: user, query: HistoryQuery(limit: 2, cursor: first.nextCursor), as: .service)
    #expect(second.items.map(\.id) == [receipts[4].mailID, receipts[3].mailID])
    await ledger.close()
  }

  @Test("the seed's limit/offset works too")
  func limitOffset() async throws {
    let (ledger, user, receipts) = try await sevenMails()
    let page = try await ledger.reader.history(
      userID: user, query: HistoryQuery(limit: 2, offset: 5), as: .service)
    #expect(page.items.map(\.id) == [receipts[1].mailID, receipts[0].mailID])
    #expect(page.nextCursor == nil)
    await ledger.close()
  }

  @Test("filters by mail_type and by recipient")
  func filters() async throws {
    let (ledger, user, _) = try await sevenMails()
    let templates = try await ledger.reader.history(
      userID: user, query: HistoryQuery(mailType: .template), as: .service)
    #expect(templates.items.map(\.subject) == ["mail 5", "mail 3", "mail 1"])
    let toBob = try await ledger.reader.history(
      userID: user, query: HistoryQuery(limit: 2, recipientEmail: "bob@example.com"), as: .service)
    #expect(toBob.items.map(\.subject) == ["mail 6", "mail 4"])
    let rest = try await ledger.reader.history(
      userID: user,
      query: HistoryQuery(limit: 2, cursor: toBob.nextCursor, recipientEmail: "bob@example.com"),
      as: .service)
    #expect(rest.items.map(\.subject) == ["mail 2", "mail 0"])
    await ledger.close()
  }

  @Test("bad paging input is refused with the field named")
  func badPaging() async throws {
    let (ledger, user, _) = try await sevenMails()
    for (query, field) in [
      (HistoryQuery(limit: 0), "limit"), (HistoryQuery(limit: 1001), "limit"),
      (HistoryQuery(cursor: "garbage"), "cursor"), (HistoryQuery(offset: -1), "offset"),
      (HistoryQuery(cursor: "djE6MTox", offset: 1), "offset"),
    ] {
      await #expect {
        try await ledger.reader.history(userID: user, query: query, as: .service)
      } throws: { ($0 as? Rejection)?.field == field }
    }
    await ledger.close()
  }

  @Test("statistics per mail_type since a date, as the seed's query")
  func stats() async throws {
    let (ledger, user, receipts) = try await sevenMails()
    let all = try await ledger.reader.stats(userID: user, as: .service)
    #expect(
      all == [
        MailTypeStats(mailType: .custom, count: 4, totalCredits: 1 + 3 + 5 + 7),
        MailTypeStats(mailType: .template, count: 3, totalCredits: 2 + 4 + 6),
      ])
    let fifth = try await ledger.reader.mail(id: receipts[4].mailID, as: .service)
    let recent = try await ledger.reader.stats(userID: user, since: fifth.sentAt, as: .service)
    #expect(
      recent == [
        MailTypeStats(mailType: .custom, count: 2, totalCredits: 5 + 7),
        MailTypeStats(mailType: .template, count: 1, totalCredits: 6),
      ])
    await ledger.close()
  }

  @Test("one mail by id carries every column")
  func mailByID() async throws {
    let (ledger, user, receipts) = try await sevenMails()
    let mail = try await ledger.reader.mail(id: receipts[1].mailID, as: .service)
    #expect(mail.userID == user && mail.subject == "mail 1" && mail.mailType == .template)
    #expect(mail.recipientEmail == "carol@example.com" && mail.content == "<p>Hi Bob</p>")
    #expect(mail.creditsUsed == 2 && mail.creditsRefunded == 0 && mail.seq == receipts[1].seq)
    await ledger.close()
  }
}
