import CreditLedger
import Foundation
import GRDB
import Testing

@Suite("Projections: current, rebuildable, resumed from their checkpoint")
struct ProjectionTests {
  /// A history with every kind of event, including a deleted user.
  static func populate(_ ledger: Ledger) async throws -> (kept: UUID, deleted: UUID) {
    let kept = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let deleted = try await ledger.signUp(email: "bob@example.com", as: .service).id
    for n in 0..<5 {
      let receipt = try await ledger.send(
        Fixture.mail(to: kept, credits: Int64(n + 1), type: n.isMultiple(of: 2) ? .custom : .template),
        as: .service)
      if n == 2 { _ = try await ledger.refund(mailID: receipt.mailID, as: .service) }
    }
    _ = try await ledger.grant(userID: kept, credits: 40, reason: "promo", as: .service)
    _ = try await ledger.changeEmail(userID: kept, email: "ada@new.example", as: .user(kept))
    _ = try await ledger.send(Fixture.mail(to: deleted, credits: 9), as: .service)
    try await ledger.deleteUser(userID: deleted, as: .service)
    return (kept, deleted)
  }

  @Test("a read after a write sees the write")
  func readYourWrites() async throws {
    let ledger = try await Fixture().open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let receipt = try await ledger.send(Fixture.mail(to: user, credits: 4), as: .service)
    #expect(try await ledger.reader.balance(userID: user, as: .service).credits == 296)
    #expect(try await ledger.reader.mail(id: receipt.mailID, as: .service).creditsUsed == 4)
    #expect(try await ledger.reader.profile(userID: user, as: .service).updatedAt > .distantPast)
    await ledger.close()
  }

  @Test("rebuilding from the log gives identical tables")
  func rebuildIsIdentical() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    _ = try await Self.populate(ledger)
    await ledger.waitForProjections()
    let before = try fixture.projectionDump()
    let report = try await ledger.rebuildProjections()
    #expect(report.events == 12)
    #expect(try fixture.projectionDump() == before)
    #expect(!before.isEmpty)
    await ledger.close()
  }

  @Test("deleting a user removes their profile and mails, as ON DELETE CASCADE did")
  func deleteCascades() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let (kept, deleted) = try await Self.populate(ledger)
    await ledger.waitForProjections()
    let counts = try await fixture.raw().read { db in
      (
        try Int.fetchOne(db, sql: "SELECT count(*) FROM user_mails WHERE user_id = ?", arguments: [deleted]),
        try Int.fetchOne(db, sql: "SELECT count(*) FROM profiles WHERE id = ?", arguments: [deleted]),
        try Int.fetchOne(db, sql: "SELECT count(*) FROM user_mails WHERE user_id = ?", arguments: [kept])
      )
    }
    #expect(counts.0 == 0 && counts.1 == 0 && counts.2 == 5)
    await ledger.close()
  }

  @Test("a deleted user is unknown from then on, and the id is never reused")
  func deletedUserIsUnknown() async throws {
    let ledger = try await Fixture().open()
    let (_, deleted) = try await Self.populate(ledger)
    await #expect(throws: Rejection.userNotFound(deleted)) {
      try await ledger.send(Fixture.mail(to: deleted), as: .service)
    }
    await #expect(throws: Rejection.userNotFound(deleted)) {
      try await ledger.grant(userID: deleted, credits: 1, as: .service)
    }
    await #expect(throws: Rejection.userNotFound(deleted)) {
      try await ledger.reader.balance(userID: deleted, as: .service)
    }
    await #expect(throws: Rejection.userAlreadyExists(deleted)) {
      try await ledger.signUp(email: "bob@example.com", userID: deleted, as: .service)
    }
    await ledger.close()
  }

  @Test("close leaves the checkpoint at the last event; reopening applies nothing twice")
  func checkpointAtClose() async throws {
    let fixture = try Fixture()
    var ledger = try await fixture.open()
    _ = try await Self.populate(ledger)
    await ledger.close()
    let checkpoint = try await fixture.raw().read {
      try Int64.fetchOne($0, sql: "SELECT seq FROM projection_checkpoint")
    }
    #expect(checkpoint == 12)
    let before = try fixture.projectionDump()
    ledger = try await fixture.open()
    await ledger.close()
    #expect(try fixture.projectionDump() == before)
  }

  @Test("start-up replays only what is past the checkpoint")
  func startupCatchesUpFromCheckpoint() async throws {
    let fixture = try Fixture()
    var ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    _ = try await ledger.send(Fixture.mail(to: user, credits: 5), as: .service)
    await ledger.close()
    // A copy whose projections stop at seq 2 …
    let lagging = fixture.folder.appendingPathComponent("lagging.sqlite").path
    try FileManager.default.copyItem(atPath: fixture.path, toPath: lagging)
    try FileManager.default.copyItem(atPath: fixture.path + "-projections", toPath: lagging + "-projections")
    ledger = try await fixture.open()
    _ = try await Self.populate(ledger)
    await ledger.close()
    // … is handed the rest of the log without its projection.
    try await DatabaseQueue(path: lagging).writeWithoutTransaction { db in
      try db.execute(sql: "ATTACH DATABASE ? AS full", arguments: [fixture.path])
      try db.execute(sql: "INSERT INTO main.events SELECT * FROM full.events WHERE seq > 2")
      try db.execute(sql: "DETACH DATABASE full")
    }
    // Replaying from seq 0 would insert profiles twice and fail; from the checkpoint it matches.
    var configuration = fixture.configuration
    configuration.lockTimeout = .seconds(1)
    let resumed = try await Ledger.open(path: lagging, configuration: configuration)
    await resumed.close()
    #expect(try Fixture.projectionDump(path: lagging) == Fixture.projectionDump(path: fixture.path))
  }
}

@Suite("Projection lag: bounded, and invisible to the library's own reads")
struct ProjectionLagTests {
  @Test("with a long lag bound the file's projection trails, yet the ledger's reader sees every write")
  func readerSeesOwnWritesDespiteLag() async throws {
    let fixture = try Fixture()
    let ledger = try await ProjectionFileTests.lagging(fixture)
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let receipt = try await ledger.send(Fixture.mail(to: user, credits: 9), as: .service)
    let stale = try LedgerReader.open(path: fixture.path)
    await #expect(throws: Rejection.userNotFound(user)) {
      try await stale.balance(userID: user, as: .service)
    }
    #expect(try await ledger.reader.balance(userID: user, as: .service).credits == 291)
    #expect(try await ledger.reader.mail(id: receipt.mailID, as: .service).creditsUsed == 9)
    #expect(ledger.statistics.projectedSeq == ledger.statistics.committedSeq)
    #expect(try await stale.balance(userID: user, as: .service).credits == 291)
    await ledger.close()
  }

  @Test(
    "the lag statistic is the age of the oldest event the projections lack: zero when they hold every one, growing while they trail, zero once they catch up"
  )
  func lagStatistic() async throws {
    let ledger = try await ProjectionFileTests.lagging(try Fixture())
    #expect(ledger.statistics.projectionLag == .zero)
    let before = ContinuousClock.now
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    try await Task.sleep(for: .milliseconds(30))
    _ = try await ledger.send(Fixture.mail(to: user), as: .service)
    let first = ledger.statistics.projectionLag
    // The signup's batch is the oldest waiting: the lag counts from it, not from the send.
    #expect(first >= .milliseconds(30))
    #expect(first <= before.duration(to: .now))
    try await Task.sleep(for: .milliseconds(20))
    #expect(ledger.statistics.projectionLag >= first + .milliseconds(20))
    // A read through the library brings on a catch-up.
    _ = try await ledger.reader.history(userID: user, query: HistoryQuery(limit: 10), as: .service)
    #expect(ledger.statistics.projectedSeq == ledger.statistics.committedSeq)
    #expect(ledger.statistics.projectionLag == .zero)
    await ledger.close()
  }

  @Test("with the default bound, an outside reader sees a write within the lag")
  func outsideReaderCatchesUp() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let outside = try LedgerReader.open(path: fixture.path)
    var seen = false
    // The bound is 10 ms; ten seconds is room for a loaded CI machine, not the expectation.
    let deadline = ContinuousClock.now + .seconds(10)
    while !seen, ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(5))
      seen = (try? await outside.balance(userID: user, as: .service)) != nil
    }
    #expect(seen)
    await ledger.close()
  }

  @Test("catch-ups of a few events each still bring a waiting reader every write, and close catches up")
  func smallCatchUps() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open {
      $0.limits.projectionBatchEventsMax = 3
      $0.limits.projectionLagMax = .seconds(3600)
      $0.limits.projectionLagHoldMax = .seconds(3600)
    }
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    for _ in 0..<20 { _ = try await ledger.send(Fixture.mail(to: user, credits: 1), as: .service) }
    #expect(
      try await ledger.reader.history(userID: user, query: HistoryQuery(limit: 100), as: .service).items.count
        == 20)
    for _ in 0..<10 { _ = try await ledger.send(Fixture.mail(to: user, credits: 1), as: .service) }
    await ledger.close()
    let checkpoint = try await fixture.raw().read {
      try Int64.fetchOne($0, sql: "SELECT seq FROM projection_checkpoint")
    }
    #expect(checkpoint == 31)
  }
}

@Suite("Projections file: beside the log, written on its own thread")
struct ProjectionFileTests {
  /// A ledger whose projections stay behind for an hour unless a reader asks.
  static func lagging(_ fixture: Fixture, backlog: Int = 65_536) async throws -> Ledger {
    return try await fixture.open {
      $0.limits.projectionLagMax = .seconds(3600)
      $0.limits.projectionLagHoldMax = .seconds(3600)
      $0.limits.projectionBatchEventsMax = 1_000_000
      $0.limits.projectionBacklogEventsMax = backlog
    }
  }

  @Test(
    "projections waiting out their lag bound are woken when a full catch-up is ready, not before",
    .timeLimit(.minutes(1)))
  func fullCatchUpWakes() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open {
      $0.limits.projectionLagMax = .seconds(3600)
      $0.limits.projectionLagHoldMax = .seconds(3600)
      $0.limits.projectionBatchEventsMax = 4
    }
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    for _ in 0..<2 { _ = try await ledger.send(Fixture.mail(to: user, credits: 1), as: .service) }
    try await Task.sleep(for: .milliseconds(50))
    #expect(ledger.statistics.projectedSeq == 0)
    // The fourth durable event makes a full catch-up: no read and no timer asks for it.
    _ = try await ledger.send(Fixture.mail(to: user, credits: 1), as: .service)
    while ledger.statistics.projectedSeq < 4 { try await Task.sleep(for: .milliseconds(5)) }
    #expect(ledger.statistics.projectedSeq == 4)
    await ledger.close()
  }

  @Test("a refund finds a mail the projections do not have yet, and only once")
  func refundBeforeProjection() async throws {
    let fixture = try Fixture()
    let ledger = try await Self.lagging(fixture)
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let receipt = try await ledger.send(Fixture.mail(to: user, credits: 7), as: .service)
    #expect(ledger.statistics.projectedSeq < receipt.seq)
    let refund = try await ledger.refund(mailID: receipt.mailID, as: .service)
    #expect(refund.remainingCredits == 300)
    await #expect(throws: Rejection.mailAlreadyRefunded(receipt.mailID)) {
      try await ledger.refund(mailID: receipt.mailID, as: .service)
    }
    // Once projected, the file answers the same.
    await ledger.waitForProjections()
    await #expect(throws: Rejection.mailAlreadyRefunded(receipt.mailID)) {
      try await ledger.refund(mailID: receipt.mailID, as: .service)
    }
    await ledger.close()
  }

  @Test("a deleted user's id is refused before its deletion is projected")
  func chosenIDBeforeProjection() async throws {
    let fixture = try Fixture()
    let ledger = try await Self.lagging(fixture)
    let user = Fixture.id(9_999)
    _ = try await ledger.signUp(email: "ada@example.com", userID: user, as: .service)
    _ = try await ledger.deleteUser(userID: user, as: .service)
    #expect(ledger.statistics.projectedSeq < 2)
    await #expect(throws: Rejection.userAlreadyExists(user)) {
      try await ledger.signUp(email: "bob@example.com", userID: user, as: .service)
    }
    await ledger.close()
  }

  @Test("the writer waits for the projections at the backlog bound, and every send lands")
  func backlogBound() async throws {
    let fixture = try Fixture()
    let ledger = try await Self.lagging(fixture, backlog: 4)
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    for _ in 0..<20 { _ = try await ledger.send(Fixture.mail(to: user, credits: 1), as: .service) }
    // With an hour's lag, only the bound made the projections move.
    #expect(ledger.statistics.projectedSeq >= 21 - 4)
    await ledger.close()
    #expect(
      try await LedgerReader.open(path: fixture.path).balance(userID: user, as: .service).credits == 280)
  }

  @Test(
    "the writer holds a batch while the projections trail by more than the hold bound, until they catch up, and the send lands"
  )
  func lagHold() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open {
      // No timed catch-up for an hour: only the hold can make the projections move.
      $0.limits.projectionLagMax = .seconds(3600)
      $0.limits.projectionBatchEventsMax = 1_000_000
      // Two seconds: projections that have not committed for four times the bound count as
      // stopped and never hold, so a loaded machine needs this much room between the
      // catch-up below and the second send.
      $0.limits.projectionLagHoldMax = .seconds(2)
    }
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    // A catch-up commits now: the projections are moving, not stopped.
    await ledger.waitForProjections()
    _ = try await ledger.send(Fixture.mail(to: user, credits: 1), as: .service)
    try await Task.sleep(for: .milliseconds(2200))
    #expect(ledger.statistics.projectedSeq == 1)
    let receipt = try await ledger.send(Fixture.mail(to: user, credits: 1), as: .service)
    // The batch before this send's was projected before it was committed.
    #expect(ledger.statistics.projectedSeq >= 2)
    #expect(receipt.remainingCredits == 298)
    await ledger.close()
  }

  @Test("a file that holds its projections is split when a writer opens it, rows unchanged")
  func conversion() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    _ = try await ProjectionTests.populate(ledger)
    let backup = fixture.folder.appendingPathComponent("single.sqlite").path
    _ = try await ledger.reader.backup(to: backup, as: .service)
    await ledger.close()
    let before = try Fixture.projectionDump(path: backup)
    #expect(!FileManager.default.fileExists(atPath: backup + "-projections"))
    let split = Fixture(existing: fixture, path: backup)
    await (try await split.open()).close()
    #expect(FileManager.default.fileExists(atPath: backup + "-projections"))
    let logTables = try await DatabaseQueue(path: backup).read { db in
      try String.fetchAll(
        db, sql: "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name")
    }
    #expect(logTables == ["events", "grdb_migrations"])
    #expect(try Fixture.projectionDump(path: backup) == before)
    #expect(try await LedgerReader.open(path: backup).verify(as: .service).ok)
  }

  @Test("a missing projections file is rebuilt from the log when a writer opens")
  func missingFile() async throws {
    let fixture = try Fixture()
    var ledger = try await fixture.open()
    _ = try await ProjectionTests.populate(ledger)
    await ledger.close()
    let before = try fixture.projectionDump()
    fixture.removeProjectionsFile()
    #expect(throws: LedgerError.self) { _ = try LedgerReader.open(path: fixture.path) }
    ledger = try await fixture.open()
    await ledger.close()
    #expect(try fixture.projectionDump() == before)
  }

  @Test("a projections file left open in another boot is thrown away and replayed; in this boot, kept")
  func otherBoot() async throws {
    let fixture = try Fixture()
    var ledger = try await fixture.open()
    let (kept, _) = try await ProjectionTests.populate(ledger)
    await ledger.close()
    let projections = try DatabaseQueue(path: fixture.path + "-projections")
    // Left open by a killed writer in this boot: trusted, tampering and all.
    let boot = try String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)
      .trimmingCharacters(in: .whitespacesAndNewlines)
    try await projections.write { db in
      try db.execute(sql: "UPDATE profiles SET credits = 1 WHERE id = ?", arguments: [kept])
      try db.execute(sql: "UPDATE projections_session SET open = 1, boot = ?", arguments: [boot])
    }
    ledger = try await fixture.open()
    #expect(try await ledger.reader.balance(userID: kept, as: .service).credits == 1)
    await ledger.close()
    // Left open in another boot: its unflushed writes may be lost or torn, so it is replayed.
    try await projections.write { db in
      try db.execute(sql: "UPDATE projections_session SET open = 1, boot = 'another-boot'")
    }
    try projections.close()
    ledger = try await fixture.open()
    #expect(try await ledger.reader.balance(userID: kept, as: .service).credits != 1)
    await ledger.close()
    #expect(try await LedgerReader.open(path: fixture.path).verify(as: .service).ok)
  }

  @Test("a projections file of another format (an older build's session note) is replayed, not refused")
  func otherFormat() async throws {
    let fixture = try Fixture()
    var ledger = try await fixture.open()
    _ = try await ProjectionTests.populate(ledger)
    await ledger.close()
    let before = try fixture.projectionDump()
    try await fixture.alterProjectionsFile(
      """
      DROP TABLE projections_session;
      CREATE TABLE projections_session (id INTEGER PRIMARY KEY, boot_id TEXT NOT NULL, open INTEGER NOT NULL);
      INSERT INTO projections_session VALUES (1, 'some-boot', 0);
      UPDATE profiles SET credits = 1;
      """)
    ledger = try await fixture.open()
    await ledger.close()
    #expect(try fixture.projectionDump() == before)
  }

  @Test("another ledger's projections file beside a log is not trusted: the log is replayed")
  func foreignProjectionsFile() async throws {
    let fixture = try Fixture()
    var ledger = try await fixture.open()
    let (kept, _) = try await ProjectionTests.populate(ledger)
    await ledger.close()
    let before = try fixture.projectionDump()
    // Another ledger, with other balances and as many events or more.
    let other = Fixture(existing: fixture, path: fixture.folder.appendingPathComponent("other.sqlite").path)
    let otherLedger = try await other.open()
    for n in 0..<20 {
      _ = try await otherLedger.signUp(
        email: "u\(n)@example.com", userID: Fixture.id(UInt64(500 + n)), as: .service)
    }
    await otherLedger.close()
    fixture.removeProjectionsFile()
    try FileManager.default.copyItem(
      atPath: other.path + "-projections", toPath: fixture.path + "-projections")
    ledger = try await fixture.open()
    #expect(try await ledger.reader.balance(userID: kept, as: .service).credits > 0)
    await ledger.close()
    #expect(try fixture.projectionDump() == before)
    #expect(try await LedgerReader.open(path: fixture.path).verify(as: .service).ok)
  }
}
