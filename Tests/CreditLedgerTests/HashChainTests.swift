import Foundation
import GRDB
import Testing

@testable import CreditLedger

@Suite("Hash chain and verify: tampering with the log or the projections is caught")
struct HashChainTests {
  /// A closed ledger with every kind of event: 1 signup ada, 2 signup bob, 3 send, 4 grant,
  /// 5 refund, 6 email change, 7 send, 8 delete bob.
  static func history() async throws -> Fixture {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let ada = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let bob = try await ledger.signUp(email: "bob@example.com", as: .service).id
    let mail = try await ledger.send(Fixture.mail(to: ada, credits: 20), idempotencyKey: "k1", as: .service)
    _ = try await ledger.grant(userID: ada, credits: 5, reason: "promo", as: .service)
    _ = try await ledger.refund(mailID: mail.mailID, as: .service)
    _ = try await ledger.changeEmail(userID: ada, email: "ada@new.example", as: .service)
    _ = try await ledger.send(Fixture.mail(to: bob, credits: 3), as: .service)
    try await ledger.deleteUser(userID: bob, as: .service)
    await ledger.close()
    return fixture
  }

  static func verify(_ fixture: Fixture, head: ChainHash? = nil) async throws -> VerifyReport {
    try await LedgerReader.open(path: fixture.path).verify(notedHead: head, as: .service)
  }

  /// Runs SQL on the file as someone with the sqlite3 shell would: triggers dropped first.
  static func tamper(_ fixture: Fixture, _ sql: String) throws {
    try fixture.raw().writeWithoutTransaction { db in
      try db.execute(
        sql: "DROP TRIGGER IF EXISTS events_refuse_update; DROP TRIGGER IF EXISTS events_refuse_delete; "
          + sql)
    }
  }

  @Test(
    "a link is SHA-256 of the fields as the format says, pinned: ledgers written by any version verify with any other",
    arguments: [
      (1, "710c4c8d5436af97d1596483a2d3e531a9af8f94f46fd53cce75cb2686ef4aa8"),
      (2, "ade12df60847095cebbc58204cf861dac80d9afcb9f7c7102af3204d96a96655"),
      (3, "63571a3bfb51654d7df0a1d870d550faf7230208b6a200de3a40ab055f254c33"),
      (4, "eb60335a2a982e6ddccf7c6379e2ad11c01200599829b0793e12842b3dfa2927"),
    ])
  func pinnedLink(example: Int, hex: String) throws {
    // The expected digests were computed apart from the library, with Python's hashlib over
    // the bytes the format lists (EventChain's comment); the fourth has every text empty, the
    // third a key longer than the buffer the link gathers its small fields in.
    let user = try #require(UUID(uuidString: "01A2142A-3560-7C06-A800-67F93D794A49"))
    let counting = try #require(ChainHash(bytes: (0..<32).map { UInt8($0) }))
    let payload = #"{"content":"<p>é</p>","credits_after":293}"#
    let link =
      switch example {
      case 1:
        EventChain.link(
          after: counting, seq: 7, recordedAt: 1_764_201_600_123, userID: user, kind: "mail_sent",
          payload: payload, idempotencyKey: nil)
      case 2:
        EventChain.link(
          after: counting, seq: 7, recordedAt: 1_764_201_600_123, userID: user, kind: "mail_sent",
          payload: payload, idempotencyKey: "svc:k1")
      case 3:
        EventChain.link(
          after: .genesis, seq: 1, recordedAt: 0, userID: user, kind: "user_deleted", payload: "{}",
          idempotencyKey: String(repeating: "k", count: 300))
      default:
        EventChain.link(
          after: .genesis, seq: -5, recordedAt: -1, userID: user, kind: "", payload: "", idempotencyKey: "")
      }
    #expect(link.hex == hex)
  }

  @Test("an untouched ledger verifies; head is the last event's link and moves with each append")
  func untouched() async throws {
    let fixture = try await Self.history()
    let report = try await Self.verify(fixture)
    #expect(report.ok && report.events == 8 && report.projectionCheckpoint == 8)
    #expect(report.firstBadSeq == nil && report.problem == nil)
    let reader = try LedgerReader.open(path: fixture.path)
    let head = try await reader.head(as: .service)
    #expect(head.seq == 8 && head.head == report.head && head.head != .genesis)
    let ledger = try await fixture.open()
    _ = try await ledger.signUp(email: "cy@example.com", as: .service)
    await ledger.close()
    let next = try await reader.head(as: .service)
    #expect(next.seq == 9 && next.head != head.head)
    // The head noted at 8 is still in the chain: nothing before it changed.
    #expect(try await Self.verify(fixture, head: head.head).ok)
    let unknown = try await Self.verify(fixture, head: ChainHash(hex: String(repeating: "ab", count: 32))!)
    #expect(!unknown.ok && unknown.problem?.contains("noted head") == true)
  }

  @Test("an edited payload, user, time or key is caught at that event")
  func edited() async throws {
    let edits = [
      "UPDATE events SET payload = replace(payload, '\"credits_used\":20', '\"credits_used\":2') WHERE seq = 3",
      "UPDATE events SET recorded_at = recorded_at + 1 WHERE seq = 5",
      "UPDATE events SET idempotency_key = NULL WHERE seq = 3",
      "UPDATE events SET user_id = (SELECT user_id FROM events WHERE seq = 2) WHERE seq = 4",
      "UPDATE events SET kind = 'credits_granted' WHERE seq = 5",
    ]
    for edit in edits {
      let fixture = try await Self.history()
      try Self.tamper(fixture, edit)
      let report = try await Self.verify(fixture)
      #expect(!report.ok, "\(edit)")
      #expect(report.firstBadSeq == Int64(edit.suffix(1))!, "\(edit)")
    }
  }

  @Test("a deleted, reordered or appended-by-hand event is caught; a cut tail is caught by the head")
  func structural() async throws {
    let deleted = try await Self.history()
    try Self.tamper(deleted, "DELETE FROM events WHERE seq = 4")
    let gap = try await Self.verify(deleted)
    #expect(!gap.ok && gap.firstBadSeq == 4 && gap.problem?.contains("missing") == true)

    let swapped = try await Self.history()
    try Self.tamper(
      swapped,
      "UPDATE events SET seq = -seq WHERE seq IN (4, 6); UPDATE events SET seq = 6 WHERE seq = -4; UPDATE events SET seq = 4 WHERE seq = -6"
    )
    let reordered = try await Self.verify(swapped)
    #expect(!reordered.ok && reordered.firstBadSeq == 4)

    let forged = try await Self.history()
    try Self.tamper(
      forged,
      """
      INSERT INTO events (seq, kind, user_id, recorded_at, payload, hash)
      SELECT 9, kind, user_id, recorded_at, payload, hash FROM events WHERE seq = 8
      """)
    #expect(try await Self.verify(forged).firstBadSeq == 9)

    let cut = try await Self.history()
    let noted = try await LedgerReader.open(path: cut.path).head(as: .service).head
    try Self.tamper(cut, "DELETE FROM events WHERE seq = 8")
    // A writer refuses to open a log shorter than its projections.
    await #expect(throws: LedgerError.self) { _ = try await cut.open() }
    // A thorough forger empties the projections too, and a writer replays them: the chain up
    // to 7 is intact, and only the noted head shows that 8 was there.
    try Self.tamper(
      cut,
      "DELETE FROM profiles; DELETE FROM mails; DELETE FROM user_events; UPDATE projection_checkpoint SET seq = 0"
    )
    await (try await cut.open()).close()
    #expect(try await Self.verify(cut).ok)
    let withHead = try await Self.verify(cut, head: noted)
    #expect(!withHead.ok && withHead.problem?.contains("noted head") == true)
  }

  @Test("a projection row that differs from the replay is named")
  func projections() async throws {
    let fixture = try await Self.history()
    try Self.tamper(fixture, "UPDATE profiles SET credits = credits + 1000")
    let report = try await Self.verify(fixture)
    #expect(!report.ok && report.firstBadSeq == nil)
    #expect(report.firstDifferingRow?.hasPrefix("profiles id=00000000-0000-4000-8000-000000000001") == true)

    let mails = try await Self.history()
    try Self.tamper(mails, "DELETE FROM mails WHERE seq = 3")
    #expect(try await Self.verify(mails).firstDifferingRow?.hasPrefix("mails seq=3") == true)
  }

  @Test("an event that breaks the invariants with a valid chain is caught on replay")
  func invariants() async throws {
    // A forger who recomputes the chain still cannot make an overdraft replay.
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let ada = try await ledger.signUp(email: "ada@example.com", credits: 5, as: .service).id
    _ = try await ledger.send(Fixture.mail(to: ada, credits: 5), as: .service)
    await ledger.close()
    let export = fixture.folder.appendingPathComponent("events.ndjson").path
    try await Self.export(fixture, to: export)
    var lines = try String(contentsOfFile: export, encoding: .utf8).split(separator: "\n").map(String.init)
    lines[1] = lines[1].replacingOccurrences(of: #"\"credits_used\":5"#, with: #"\"credits_used\":6"#)
    try lines.joined(separator: "\n").write(toFile: export, atomically: true, encoding: .utf8)
    await #expect(throws: Rejection.self) {
      _ = try await Ledger.importEvents(
        from: export, to: fixture.folder.appendingPathComponent("x.sqlite").path)
    }
  }

  static func export(
    _ fixture: Fixture, table: ExportTable = .events, format: ExportFormat = .ndjson, to path: String
  )
    async throws
  {
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try await LedgerReader.open(path: fixture.path).export(table, format: format, to: handle, as: .service)
  }

  @Test("a ledger written before the chain existed is upgraded on open and verifies")
  func upgrade() async throws {
    let fixture = try Fixture()
    // Schema v1 exactly as the first release wrote it, with two events and no projection yet.
    try await fixture.raw().write { db in
      try db.execute(sql: LedgerTestsV1.schema)
      try db.execute(
        sql: """
          INSERT INTO grdb_migrations VALUES ('v1: event log and projections');
          INSERT INTO events (seq, kind, user_id, recorded_at, payload) VALUES
            (1, 'user_signed_up', X'0000000000004000800000000000000A', 1764000000000,
             '{"credits":300,"email":"ada@example.com"}'),
            (2, 'credits_granted', X'0000000000004000800000000000000A', 1764000000001,
             '{"credits":7,"credits_after":307}');
          """)
    }
    let ledger = try await fixture.open()
    #expect(try await ledger.reader.balance(userID: Fixture.id(10), as: .service).credits == 307)
    await ledger.close()
    let report = try await Self.verify(fixture)
    #expect(report.ok && report.events == 2)
  }
}
