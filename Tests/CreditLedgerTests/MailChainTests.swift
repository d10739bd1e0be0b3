import CreditLedger
import Foundation
import GRDB
import Testing

@Suite("Mail chain: each user's mails linked newest first, in place of a history index")
struct MailChainTests {
  /// Each user's chain as stored (from `profiles.last_mail_seq` along `prev_seq`) and as it
  /// should be (their mails by `seq`, newest first).
  static func chains(_ fixture: Fixture) throws -> [(stored: [Int64], expected: [Int64])] {
    try fixture.raw().read { db in
      try Data.fetchAll(db, sql: "SELECT id FROM profiles ORDER BY id").map { user in
        var stored: [Int64] = []
        var next =
          try Int64?.fetchOne(
            db, sql: "SELECT last_mail_seq FROM profiles WHERE id = ?", arguments: [user]) ?? nil
        while let seq = next, stored.count <= 10_000 {
          stored.append(seq)
          next =
            try Int64?.fetchOne(db, sql: "SELECT prev_seq FROM mails WHERE seq = ?", arguments: [seq]) ?? nil
        }
        let expected = try Int64.fetchAll(
          db, sql: "SELECT seq FROM mails WHERE user_id = ? ORDER BY seq DESC", arguments: [user])
        return (stored, expected)
      }
    }
  }

  /// Three users' sends interleaved, some projected in earlier catch-ups and some waiting.
  static func interleaved(_ ledger: Ledger, rounds: Int = 6) async throws -> [UUID] {
    var users: [UUID] = []
    for name in ["ada", "bob", "cy"] {
      users.append(try await ledger.signUp(email: "\(name)@example.com", as: .service).id)
    }
    for round in 0..<rounds {
      for (n, user) in users.enumerated() where (round + n) % 3 != 2 {
        _ = try await ledger.send(Fixture.mail(to: user, subject: "r\(round)"), as: .service)
      }
      if round == rounds / 2 { await ledger.waitForProjections() }
    }
    return users
  }

  @Test("mails sent across catch-ups are linked newest first per user; a rebuild links them the same")
  func linkedAcrossCatchUps() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open { $0.limits.projectionLagMax = .milliseconds(1) }
    _ = try await Self.interleaved(ledger)
    await ledger.waitForProjections()
    let chains = try Self.chains(fixture)
    #expect(chains.count == 3 && chains.allSatisfy { $0.stored.count == 4 })
    #expect(chains.allSatisfy { $0.stored == $0.expected })
    let before = try fixture.projectionDump()
    _ = try await ledger.rebuildProjections()
    #expect(try fixture.projectionDump() == before)
    await ledger.close()
    #expect(try await LedgerReader.open(path: fixture.path).verify(as: .service).ok)
  }

  @Test(
    "the newest mails the projections remember, bounded below the users and dropped by a rebuild, link as the file does",
    arguments: [0, 2, 65_536])
  func rememberedNewestMails(knownUsersMax: Int) async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open {
      $0.limits.projectionLagMax = .milliseconds(1)
      $0.limits.projectionKnownUsersMax = knownUsersMax
    }
    let users = try await Self.interleaved(ledger)
    await ledger.waitForProjections()
    _ = try await ledger.rebuildProjections()
    for round in 0..<3 {
      for user in users {
        _ = try await ledger.send(Fixture.mail(to: user, subject: "after \(round)"), as: .service)
        await ledger.waitForProjections()
      }
    }
    await ledger.close()
    let chains = try Self.chains(fixture)
    #expect(chains.count == 3 && chains.allSatisfy { $0.stored.count == 7 && $0.stored == $0.expected })
  }

  @Test("a broken link is found by verify: the chain is part of the projections it compares")
  func verifyChecksLinks() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    _ = try await Self.interleaved(ledger)
    await ledger.close()
    try await fixture.alterProjectionsFile(
      "UPDATE mails SET prev_seq = NULL WHERE seq = (SELECT max(seq) FROM mails)")
    let report = try await LedgerReader.open(path: fixture.path).verify(as: .service)
    #expect(!report.ok && report.firstDifferingRow?.hasPrefix("mails seq=") == true)
  }

  @Test("a cursor naming another user's mail pages only this user's mails before it")
  func foreignCursor() async throws {
    let ledger = try await Fixture().open()
    let users = try await Self.interleaved(ledger)
    let bobs = try await ledger.reader.history(userID: users[1], as: .service).items
    let adas = try await ledger.reader.history(userID: users[0], as: .service).items
    let pivot = bobs[1].seq
    let cursor = Data("v1:0:\(pivot)".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
    let page = try await ledger.reader.history(
      userID: users[0], query: HistoryQuery(cursor: cursor), as: .service)
    #expect(!page.items.isEmpty)
    #expect(page.items.map(\.id) == adas.filter { $0.seq < pivot }.map(\.id))
    await ledger.close()
  }

  @Test("a user without mails: an empty history, no stats, a statement of their other events")
  func emptyChain() async throws {
    let ledger = try await Fixture().open()
    let users = try await Self.interleaved(ledger)
    let quiet = try await ledger.signUp(email: "dee@example.com", as: .service).id
    _ = try await ledger.grant(userID: quiet, credits: 5, reason: "welcome", as: .service)
    #expect(try await ledger.reader.history(userID: quiet, as: .service).items.isEmpty)
    #expect(try await ledger.reader.stats(userID: quiet, as: .service).isEmpty)
    let statement = try await ledger.reader.statement(userID: quiet, as: .service)
    #expect(statement.lines.map(\.kind) == [.userSignedUp, .creditsGranted])
    let busy = try await ledger.reader.statement(userID: users[0], as: .service)
    #expect(busy.lines.map(\.kind) == [.userSignedUp] + Array(repeating: .mailSent, count: 4))
    await ledger.close()
  }

  @Test("deleting a user removes every mail of the chain, projected or waiting, and no one else's")
  func deleteWalksChain() async throws {
    let fixture = try Fixture()
    let ledger = try await ProjectionFileTests.lagging(fixture)
    let users = try await Self.interleaved(ledger)
    // Some of bob's mails are in the file, the rest and the deletion in one catch-up.
    _ = try await ledger.send(Fixture.mail(to: users[1]), as: .service)
    try await ledger.deleteUser(userID: users[1], as: .service)
    await ledger.close()
    let left = try await fixture.raw().read { db in
      try Int.fetchAll(db, sql: "SELECT count(*) FROM mails GROUP BY user_id ORDER BY user_id")
    }
    #expect(left == [4, 4])
    let chains = try Self.chains(fixture)
    #expect(chains.count == 2 && chains.allSatisfy { $0.stored == $0.expected })
    #expect(try await LedgerReader.open(path: fixture.path).verify(as: .service).ok)
  }

  @Test("a projections file from before the chain is replayed when a writer opens, not read")
  func olderProjectionsFile() async throws {
    let fixture = try Fixture()
    var ledger = try await fixture.open()
    _ = try await ProjectionTests.populate(ledger)
    await ledger.close()
    let before = try fixture.projectionDump()
    try await fixture.alterProjectionsFile(Self.unchain)
    #expect(throws: LedgerError.self) { _ = try LedgerReader.open(path: fixture.path) }
    ledger = try await fixture.open()
    await ledger.close()
    #expect(try fixture.projectionDump() == before)
  }

  @Test(
    "a single-file ledger from before the chain (a backup) is linked by its migration as a replay links it")
  func singleFileMigration() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    _ = try await Self.interleaved(ledger)
    _ = try await ProjectionTests.populate(ledger)
    let backup = fixture.folder.appendingPathComponent("single.sqlite").path
    _ = try await ledger.reader.backup(to: backup, as: .service)
    await ledger.close()
    let before = try Fixture.projectionDump(path: backup)
    try await DatabaseQueue(path: backup).writeWithoutTransaction { db in
      try db.execute(sql: Self.unchain + "DELETE FROM grdb_migrations WHERE identifier = 'v3: mail chain';")
    }
    #expect(throws: LedgerError.self) { _ = try LedgerReader.open(path: backup) }
    let old = Fixture(existing: fixture, path: backup)
    await (try await old.open()).close()
    #expect(try Fixture.projectionDump(path: backup) == before)
    #expect(try await LedgerReader.open(path: backup).verify(as: .service).ok)
  }

  /// Takes the chain out of a file's projections and puts back the index before it.
  static let unchain = """
    ALTER TABLE mails DROP COLUMN prev_seq;
    ALTER TABLE profiles DROP COLUMN last_mail_seq;
    CREATE INDEX mails_user_sent ON mails(user_id, sent_at DESC, seq DESC);
    """
}
