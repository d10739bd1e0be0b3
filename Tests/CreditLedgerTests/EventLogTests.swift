import Foundation
import GRDB
import Synchronization
import Testing

@testable import CreditLedger

@Suite("Event log: append-only, one event per command, durable")
struct EventLogTests {
  @Test("UPDATE and DELETE on the event table are refused by the database")
  func logIsAppendOnly() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    _ = try await ledger.signUp(email: "ada@example.com", as: .service)
    await ledger.close()
    let raw = try fixture.raw()
    #expect(throws: DatabaseError.self) {
      try raw.write { try $0.execute(sql: "UPDATE events SET payload = '{}'") }
    }
    #expect(throws: DatabaseError.self) {
      try raw.write { try $0.execute(sql: "DELETE FROM events") }
    }
    #expect(try fixture.eventCount() == 1)
  }

  @Test(
    "while the writer runs (its own connection skips the log's checks), any other connection is still refused a bad row, an UPDATE and a DELETE"
  )
  func guardsHoldBesideTheWriter() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let raw = try fixture.raw()
    let refused = [
      "UPDATE events SET payload = '{}'",
      "DELETE FROM events",
      // No hash-chain link (the trigger), then a kind outside the list and a short user id (CHECKs).
      "INSERT INTO events (kind, user_id, recorded_at, payload) VALUES ('mail_sent', randomblob(16), 0, '{}')",
      "INSERT INTO events (kind, user_id, recorded_at, payload, hash) VALUES ('gift', randomblob(16), 0, '{}', randomblob(32))",
      "INSERT INTO events (kind, user_id, recorded_at, payload, hash) VALUES ('mail_sent', randomblob(8), 0, '{}', randomblob(32))",
    ]
    for sql in refused {
      #expect(throws: DatabaseError.self, "\(sql)") { try raw.write { try $0.execute(sql: sql) } }
    }
    try raw.close()
    // The writer's own appends still pass every check a replay makes.
    _ = try await ledger.send(Fixture.mail(to: user), as: .service)
    #expect(try await ledger.reader.verify(as: .service).ok)
    #expect(try await ledger.reader.events(as: .service).map(\.seq) == [1, 2])
    await ledger.close()
  }

  @Test("each write command appends exactly one event, a send included")
  func oneEventPerCommand() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    _ = try await ledger.grant(userID: user, credits: 10, reason: "top-up", as: .service)
    let receipt = try await ledger.send(Fixture.mail(to: user, credits: 5), as: .service)
    _ = try await ledger.refund(mailID: receipt.mailID, as: .service)
    _ = try await ledger.changeEmail(userID: user, email: "ada@new.example", as: .service)
    try await ledger.deleteUser(userID: user, as: .service)
    let kinds = try await ledger.reader.events(as: .service).map(\.kind)
    #expect(
      kinds == [.userSignedUp, .creditsGranted, .mailSent, .creditsRefunded, .emailChanged, .userDeleted])
    #expect(try await ledger.reader.events(as: .service).map(\.seq) == [1, 2, 3, 4, 5, 6])
    await ledger.close()
  }

  @Test("by default every caller is answered only once its event is fsynced; several batches share an fsync")
  func durableBeforeAnswered() async throws {
    let ledger = try await Fixture().open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    for _ in 0..<20 {
      let receipt = try await ledger.send(Fixture.mail(to: user), as: .service)
      #expect(ledger.statistics.durableSeq >= receipt.seq, "answered before its fsync")
    }
    try await withThrowingTaskGroup(of: MailReceipt.self) { group in
      for _ in 0..<200 { group.addTask { try await ledger.send(Fixture.mail(to: user), as: .service) } }
      for try await receipt in group { #expect(ledger.statistics.durableSeq >= receipt.seq) }
    }
    let statistics = ledger.statistics
    #expect(statistics.syncs >= 21 && statistics.syncs <= statistics.batches)
    #expect(statistics.durableSeq == statistics.committedSeq)
    // The writer connection never waits for the disk itself.
    let connection = try await ledger.pool.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
    #expect(connection == 0)
    await ledger.close()
  }

  @Test("a refused command appends nothing and waits for no fsync of its own")
  func refusalsNeedNoSync() async throws {
    let ledger = try await Fixture().open()
    let user = try await ledger.signUp(email: "ada@example.com", credits: 5, as: .service).id
    _ = try await ledger.send(Fixture.mail(to: user, credits: 5), as: .service)
    let before = ledger.statistics.syncs
    for _ in 0..<10 {
      await #expect(throws: Rejection.insufficientCredits(currentCredits: 0)) {
        _ = try await ledger.send(Fixture.mail(to: user, credits: 1), as: .service)
      }
    }
    #expect(ledger.statistics.syncs == before)
    await ledger.close()
  }

  @Test("with synchronous normal nothing is fsynced at commit")
  func synchronousConfigurable() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open {
      $0.synchronous = .normal
    }
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    _ = try await ledger.send(Fixture.mail(to: user), as: .service)
    #expect(ledger.statistics.syncs == 0)
    let connection = try await ledger.pool.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
    #expect(connection == 1)
    await ledger.close()
  }

  @Test("event times never go backwards even when the clock does")
  func monotonicTimes() async throws {
    let fixture = try Fixture()
    var configuration = fixture.configuration
    let times = [5_000.0, 3_000.0, 4_000.0]
    let index = Mutex(0)
    configuration.clock = {
      Date(
        timeIntervalSince1970: times[
          index.withLock { i in
            defer { i = min(i + 1, 2) }
            return i
          }])
    }
    let ledger = try await Ledger.open(path: fixture.path, configuration: configuration)
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    _ = try await ledger.grant(userID: user, credits: 1, as: .service)
    _ = try await ledger.grant(userID: user, credits: 1, as: .service)
    let recorded = try await ledger.reader.events(as: .service).map(\.recordedAt.timeIntervalSince1970)
    #expect(recorded == [5_000, 5_000, 5_000])
    await ledger.close()
  }
}
