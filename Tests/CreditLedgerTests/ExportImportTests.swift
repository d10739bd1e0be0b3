import CreditLedger
import Foundation
import GRDB
import Testing

@Suite("Export and import: the event export rebuilds an identical ledger; a changed export is refused")
struct ExportImportTests {
  func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

  @Test("export → import → export is byte-identical, and so are the projections")
  func roundTrip() async throws {
    let fixture = try await HashChainTests.history()
    let first = fixture.folder.appendingPathComponent("first.ndjson").path
    try await HashChainTests.export(fixture, to: first)
    let copy = fixture.folder.appendingPathComponent("copy.sqlite").path
    let report = try await Ledger.importEvents(from: first, to: copy)
    let original = try await LedgerReader.open(path: fixture.path).head(as: .service)
    #expect(report.events == 8 && report.head == original.head)
    let copyFixture = Fixture(existing: fixture, path: copy)
    let second = fixture.folder.appendingPathComponent("second.ndjson").path
    try await HashChainTests.export(copyFixture, to: second)
    #expect(try read(first) == read(second))
    #expect(try Fixture.projectionDump(path: copy) == fixture.projectionDump())
    for table in [ExportTable.profiles, .userMails] {
      for format in ExportFormat.allCases {
        let a = fixture.folder.appendingPathComponent("a-\(table)-\(format)").path
        let b = fixture.folder.appendingPathComponent("b-\(table)-\(format)").path
        try await HashChainTests.export(fixture, table: table, format: format, to: a)
        try await HashChainTests.export(copyFixture, table: table, format: format, to: b)
        #expect(try read(a) == read(b) && !read(a).isEmpty)
      }
    }
    // The imported ledger takes writes and the idempotency keys came with it.
    let ledger = try await Ledger.open(path: copy)
    let ada = Fixture.id(1)
    await #expect(throws: Rejection.idempotencyKeyReused("k1")) {
      _ = try await ledger.send(Fixture.mail(to: ada, credits: 99), idempotencyKey: "k1", as: .service)
    }
    await ledger.close()
  }

  @Test("each kind of damage to an export is refused with its line, and no ledger is left")
  func refusals() async throws {
    let fixture = try await HashChainTests.history()
    let export = fixture.folder.appendingPathComponent("events.ndjson").path
    try await HashChainTests.export(fixture, to: export)
    let lines = try read(export).split(separator: "\n").map(String.init)
    let target = fixture.folder.appendingPathComponent("target.sqlite").path
    let damaged: [(String, [String])] = [
      (
        "line 3 hash",
        lines.enumerated().map {
          $0 == 2 ? $1.replacingOccurrences(of: "\"credits_used\\\":20", with: "\"credits_used\\\":21") : $1
        }
      ),
      ("line 4 needs seq 4", lines.enumerated().filter { $0.offset != 3 }.map(\.element)),
      ("line 2 needs seq 2", [lines[0], lines[2], lines[1]] + lines[3...]),
      ("line 1 is not one flat JSON object", ["{not json"] + lines[1...]),
      (
        "line 1 has unknown fields",
        [lines[0].replacingOccurrences(of: "{\"seq\"", with: "{\"extra\":1,\"seq\"")] + lines[1...]
      ),
      (
        "line 1 user_id is not a UUID",
        [lines[0].replacingOccurrences(of: "\"user_id\":\"0", with: "\"user_id\":\"x")] + lines[1...]
      ),
    ]
    for (expected, damage) in damaged {
      try damage.joined(separator: "\n").write(toFile: export, atomically: true, encoding: .utf8)
      await #expect {
        _ = try await Ledger.importEvents(from: export, to: target)
      } throws: { error in
        guard case Rejection.invalidField(let field, let reason) = error else { return false }
        return field == "events" && reason.contains(expected)
      }
      #expect(!FileManager.default.fileExists(atPath: target), "\(expected)")
      #expect(!FileManager.default.fileExists(atPath: target + ".importing"), "\(expected)")
      #expect(!FileManager.default.fileExists(atPath: target + ".lock"), "\(expected)")
    }
    await #expect(
      throws: Rejection.invalidField(
        field: "db", reason: "\(fixture.path) exists; give --force to replace it")
    ) {
      _ = try await Ledger.importEvents(from: export, to: fixture.path)
    }
  }

  @Test("CSV quotes commas, quotes and line breaks; NULL is an empty field")
  func csv() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let ada = try await ledger.signUp(email: "ada@example.com", as: .service).id
    _ = try await ledger.send(
      SendMail(
        userID: ada, recipientEmail: "b@example.com", subject: "a, \"quoted\" subject",
        content: "two\nlines", mailType: .custom, credits: 1), as: .service)
    await ledger.close()
    let path = fixture.folder.appendingPathComponent("mails.csv").path
    try await HashChainTests.export(fixture, table: .userMails, format: .csv, to: path)
    let text = try read(path)
    #expect(
      text.hasPrefix(
        "id,user_id,recipient_email,subject,content,mail_type,credits_used,credits_refunded,sent_at,seq\r\n"))
    #expect(text.contains(",b@example.com,\"a, \"\"quoted\"\" subject\",\"two\nlines\",custom,1,0,"))
    let events = fixture.folder.appendingPathComponent("events.csv").path
    try await HashChainTests.export(fixture, table: .events, format: .csv, to: events)
    // The signup has no idempotency key: an empty field between recorded_at and payload.
    #expect(try read(events).split(separator: "\r\n")[1].contains("Z,,\"{\"\"credits\"\":300"))
  }
}
