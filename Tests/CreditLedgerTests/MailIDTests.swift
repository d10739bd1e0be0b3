import Foundation
import GRDB
import Testing

@testable import CreditLedger

@Suite("Mail ids carry their send's seq; ids that do not are listed in mail_ids and found the same way")
struct MailIDTests {
  /// The `mail_ids` of the projections file (or of a one-file ledger), id → seq.
  static func listed(_ path: String) throws -> [UUID: Int64] {
    let queue = try DatabaseQueue(path: path)
    defer { try? queue.close() }
    return try queue.read { db in
      Dictionary(
        uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, seq FROM mail_ids").map {
          ($0[0] as UUID, $0[1] as Int64)
        })
    }
  }

  /// A closed ledger: 1 signup ada, 2–4 sends of 1, 2 and 3 credits, 5 refund of the first.
  static func sends() async throws -> (Fixture, [MailReceipt]) {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let ada = try await ledger.signUp(email: "ada@example.com", as: .service).id
    var receipts: [MailReceipt] = []
    for credits in 1...3 {
      receipts.append(try await ledger.send(Fixture.mail(to: ada, credits: Int64(credits)), as: .service))
    }
    _ = try await ledger.refund(mailID: receipts[0].mailID, as: .service)
    await ledger.close()
    return (fixture, receipts)
  }

  /// The events of `fixture`, exported, with each id `replacing` names swapped for its new
  /// one and every hash-chain link recomputed, as someone rewriting an export would.
  static func rewrittenExport(_ fixture: Fixture, replacing: [(UUID, UUID)]) async throws -> String {
    let path = fixture.folder.appendingPathComponent("events.ndjson").path
    try await HashChainTests.export(fixture, to: path)
    var previous = ChainHash.genesis
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
      var line = String(line)
      for (old, new) in replacing {
        line = line.replacingOccurrences(of: old.lowercased, with: new.lowercased)
      }
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
      let link = EventChain.link(
        after: previous, seq: (object["seq"] as! NSNumber).int64Value,
        recordedAt: Date(iso8601Milliseconds: object["recorded_at"] as! String)!.millisecondsSince1970,
        userID: UUID(uuidString: object["user_id"] as! String)!, kind: object["kind"] as! String,
        payload: object["payload"] as! String, idempotencyKey: object["idempotency_key"] as? String)
      previous = link
      return line.replacingOccurrences(of: object["hash"] as! String, with: link.hex)
    }
    try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test("a send's id is the id source's with its seq in the last 62 bits: found by its row, none listed")
  func carried() async throws {
    let (fixture, receipts) = try await Self.sends()
    let ledger = try await fixture.open()
    for receipt in receipts {
      #expect(MailID.seq(of: receipt.mailID) == receipt.seq)
      #expect(MailID.carries(receipt.mailID, seq: receipt.seq))
      // The id source's bits before the variant are kept (the fixture's: 00000000-0000-4000).
      #expect(receipt.mailID.lowercased == String(format: "00000000-0000-4000-8000-%012llx", receipt.seq))
      #expect(try await ledger.reader.mail(id: receipt.mailID, as: .service).seq == receipt.seq)
    }
    _ = try await ledger.refund(mailID: receipts[1].mailID, credits: 1, as: .service)
    #expect(try await ledger.reader.mail(id: receipts[1].mailID, as: .service).creditsRefunded == 1)
    #expect(try await ledger.reader.mail(id: receipts[2].mailID, as: .service).creditsRefunded == 0)
    await #expect(throws: Rejection.mailAlreadyRefunded(receipts[1].mailID)) {
      try await ledger.refund(mailID: receipts[1].mailID, as: .service)
    }
    // An id that carries a mail's seq but is not that mail's id names no mail.
    var bytes = receipts[2].mailID.uuid
    bytes.0 ^= 1
    let stranger = UUID(uuid: bytes)
    await #expect(throws: Rejection.mailNotFound(stranger)) {
      try await ledger.reader.mail(id: stranger, as: .service)
    }
    await #expect(throws: Rejection.mailNotFound(stranger)) {
      try await ledger.refund(mailID: stranger, as: .service)
    }
    await ledger.close()
    #expect(try Self.listed(fixture.path + "-projections").isEmpty)
    #expect(try await HashChainTests.verify(fixture).ok)
  }

  @Test("with the default id source a mail id is a UUID version 7: ids sort as their sends were made")
  func defaultSource() async throws {
    let fixture = try Fixture()
    let ledger = try await Ledger.open(path: fixture.path)
    let ada = try await ledger.signUp(email: "ada@example.com", as: .service).id
    var ids: [UUID] = []
    for _ in 0..<3 {
      let receipt = try await ledger.send(Fixture.mail(to: ada), as: .service)
      #expect(MailID.carries(receipt.mailID, seq: receipt.seq))
      #expect(receipt.mailID.uuid.6 >> 4 == 7)
      ids.append(receipt.mailID)
      try await Task.sleep(for: .milliseconds(2))
    }
    #expect(ids.map(\.lowercased) == ids.map(\.lowercased).sorted())
    await ledger.close()
  }

  @Test("imported ids that do not carry their seq are listed, found, refunded and rebuilt exactly")
  func listedIDs() async throws {
    let (source, receipts) = try await Self.sends()
    // Event 2 gets a random id; event 3 one that carries seq 4, another mail's row.
    let random = UUID()
    let misleading = MailID.carrying(4, in: UUID())
    let export = try await Self.rewrittenExport(
      source, replacing: [(receipts[0].mailID, random), (receipts[1].mailID, misleading)])
    let fixture = try Fixture()
    _ = try await Ledger.importEvents(from: export, to: fixture.path)
    let ledger = try await fixture.open()
    #expect(try await ledger.reader.mail(id: random, as: .service).seq == 2)
    #expect(try await ledger.reader.mail(id: random, as: .service).creditsRefunded == 1)
    #expect(try await ledger.reader.mail(id: misleading, as: .service).seq == 3)
    await #expect(throws: Rejection.mailAlreadyRefunded(random)) {
      try await ledger.refund(mailID: random, as: .service)
    }
    _ = try await ledger.refund(mailID: misleading, as: .service)
    #expect(try await ledger.reader.mail(id: misleading, as: .service).creditsRefunded == 2)
    #expect(try await ledger.reader.mail(id: receipts[2].mailID, as: .service).creditsRefunded == 0)
    let next = try await ledger.send(Fixture.mail(to: Fixture.id(1)), as: .service)
    #expect(MailID.carries(next.mailID, seq: next.seq))
    await ledger.waitForProjections()
    #expect(try Self.listed(fixture.path + "-projections") == [random: 2, misleading: 3])
    _ = try await ledger.rebuildProjections()
    #expect(try await ledger.reader.mail(id: misleading, as: .service).creditsRefunded == 2)
    await ledger.close()
    #expect(try Self.listed(fixture.path + "-projections") == [random: 2, misleading: 3])
    #expect(try await HashChainTests.verify(fixture).ok)
  }

  @Test("a backup without mail_ids (an older version's) is read by id, and listed when a writer opens it")
  func olderBackup() async throws {
    let (source, receipts) = try await Self.sends()
    let random = UUID()
    let export = try await Self.rewrittenExport(source, replacing: [(receipts[1].mailID, random)])
    let fixture = try Fixture()
    _ = try await Ledger.importEvents(from: export, to: fixture.path)
    let backup = fixture.folder.appendingPathComponent("backup.sqlite").path
    // Through a writer: the backup joins its two files in one.
    let live = try await fixture.open()
    _ = try await live.reader.backup(to: backup, as: .service)
    await live.close()
    #expect(try Self.listed(backup) == [random: 3])
    try await DatabaseQueue(path: backup).writeWithoutTransaction {
      try $0.execute(sql: "DROP TABLE mail_ids")
    }
    let reader = try LedgerReader.open(path: backup)
    #expect(try await reader.mail(id: random, as: .service).seq == 3)
    #expect(try await reader.verify(as: .service).ok)
    let ledger = try await Ledger.open(path: backup)
    #expect(try await ledger.reader.mail(id: random, as: .service).seq == 3)
    _ = try await ledger.refund(mailID: random, as: .service)
    await ledger.close()
    #expect(try Self.listed(backup + "-projections") == [random: 3])
  }

  @Test("projections of the format before mail_ids are replayed when a writer opens them")
  func olderProjections() async throws {
    let (fixture, receipts) = try await Self.sends()
    try await fixture.alterProjectionsFile("DROP TABLE mail_ids")
    let ledger = try await fixture.open()
    _ = try await ledger.refund(mailID: receipts[2].mailID, as: .service)
    #expect(try await ledger.reader.mail(id: receipts[2].mailID, as: .service).creditsRefunded == 3)
    await ledger.close()
    #expect(try Self.listed(fixture.path + "-projections").isEmpty)
  }

  @Test("a writer of the version before mail_ids would replay a projections file of this format")
  func olderWriter() async throws {
    let (fixture, _) = try await Self.sends()
    let projections = try DatabaseQueue(path: fixture.path + "-projections")
    defer { try? projections.close() }
    // That version's check of the file, verbatim: it treats a throw as another format.
    #expect(throws: DatabaseError.self) {
      try projections.read { db in
        try Row.fetchOne(
          db, sql: "SELECT boot_id, open, first_hash, checkpoint_hash FROM main.projections_session")
      }
    }
  }

  /// Which sends of ``sends()`` get whose id; every case gives two mails one id, event 3 the
  /// second.
  static let duplicates: [(String, @Sendable (UUID, [MailReceipt]) -> [(UUID, UUID)])] = [
    ("two listed ids", { x, r in [(r[0].mailID, x), (r[1].mailID, x)] }),
    ("a listed id that another carries", { _, r in [(r[1].mailID, r[0].mailID)] }),
    ("a carried id listed before", { _, r in [(r[0].mailID, r[1].mailID), (r[1].mailID, r[1].mailID)] }),
  ]

  @Test(
    "an import that gives two mails one id is refused at the second, and leaves no ledger",
    arguments: 0..<duplicates.count)
  func duplicate(_ index: Int) async throws {
    let (source, receipts) = try await Self.sends()
    let (name, replacing) = Self.duplicates[index]
    let export = try await Self.rewrittenExport(source, replacing: replacing(UUID(), receipts))
    let target = source.folder.appendingPathComponent("target.sqlite").path
    await #expect {
      _ = try await Ledger.importEvents(from: export, to: target)
    } throws: { error in
      guard case Rejection.invalidField("events", let reason) = error else { return false }
      return reason.hasPrefix("line 3 has mail id ") && reason.hasSuffix(", which another mail has")
    }
    #expect(!FileManager.default.fileExists(atPath: target), "\(name)")
  }
}
