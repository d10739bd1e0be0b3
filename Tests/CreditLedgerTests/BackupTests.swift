import CreditLedger
import Foundation
import GRDB
import Synchronization
import Testing

@Suite("Backup and restore: an online copy under writes restores to a ledger that verifies")
struct BackupTests {
  /// What the sending tasks share with the test.
  final class Load: Sendable {
    let stop = Atomic(false)
    let acknowledged = Mutex<[UUID]>([])
  }

  @Test("a backup taken while eight callers send holds every send acknowledged before it, and restores")
  func underWrites() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open()
    var users: [UUID] = []
    for n in 0..<8 { users.append(try await ledger.signUp(email: "u\(n)@example.com", as: .service).id) }
    let load = Load()
    let backupPath = fixture.folder.appendingPathComponent("backup.sqlite").path
    let (backup, before) = try await withThrowingTaskGroup(of: Void.self) { group in
      for user in users {
        group.addTask {
          while !load.stop.load(ordering: .relaxed) {
            let receipt = try await ledger.send(Fixture.mail(to: user), as: .service)
            load.acknowledged.withLock { $0.append(receipt.mailID) }
          }
        }
      }
      // Some sends acknowledged, however loaded the machine, before the backup starts.
      while load.acknowledged.withLock({ $0.count }) < 16 { try await Task.sleep(for: .milliseconds(10)) }
      let before = load.acknowledged.withLock { Set($0) }
      let backup = try await ledger.reader.backup(to: backupPath, as: .service)
      try await Task.sleep(for: .milliseconds(100))
      load.stop.store(true, ordering: .relaxed)
      try await group.waitForAll()
      return (backup, before)
    }
    await ledger.close()
    #expect(backup.events > 8 && !before.isEmpty)
    // Every send acknowledged before the backup started is in its log.
    let copied = try await DatabaseQueue(path: backupPath).read { db in
      Set(
        try String.fetchAll(
          db, sql: "SELECT json_extract(payload, '$.mail_id') FROM events WHERE kind = 'mail_sent'"
        ).compactMap { UUID(uuidString: $0) })
    }
    #expect(before.isSubset(of: copied))
    let restored = fixture.folder.appendingPathComponent("restored.sqlite").path
    let report = try await Ledger.restore(from: backupPath, to: restored)
    #expect(report.ok && report.events == backup.events && report.head == backup.head)
    let reopened = try await Ledger.open(path: restored)
    _ = try await reopened.send(Fixture.mail(to: users[0]), as: .service)
    await reopened.close()
    #expect(try await LedgerReader.open(path: restored).verify(as: .service).ok)
  }

  @Test("backup and restore refuse to overwrite without force, and restore refuses a tampered backup")
  func refusals() async throws {
    let fixture = try await HashChainTests.history()
    let backupPath = fixture.folder.appendingPathComponent("backup.sqlite").path
    let reader = try LedgerReader.open(path: fixture.path)
    let first = try await reader.backup(to: backupPath, as: .service)
    await #expect(
      throws: Rejection.invalidField(
        field: "destination", reason: "\(backupPath) exists; give --force to replace it")
    ) {
      _ = try await reader.backup(to: backupPath, as: .service)
    }
    #expect(try await reader.backup(to: backupPath, overwrite: true, as: .service).head == first.head)
    await #expect(throws: Rejection.self) { _ = try await Ledger.restore(from: backupPath, to: fixture.path) }
    await #expect(throws: Rejection.notPermitted("backup needs the service role")) {
      _ = try await reader.backup(to: backupPath + "2", as: .user(Fixture.id(1)))
    }

    try await DatabaseQueue(path: backupPath).writeWithoutTransaction { db in
      try db.execute(
        sql:
          "DROP TRIGGER events_refuse_update; UPDATE events SET payload = replace(payload, '300', '900') WHERE seq = 1"
      )
    }
    let target = fixture.folder.appendingPathComponent("target.sqlite").path
    await #expect {
      _ = try await Ledger.restore(from: backupPath, to: target)
    } throws: { error in
      guard case LedgerError.verificationFailed(let report) = error else { return false }
      return report.firstBadSeq == 1
    }
    #expect(!FileManager.default.fileExists(atPath: target))
    #expect(!FileManager.default.fileExists(atPath: target + ".restoring"))
    // With force, a good backup replaces an existing ledger whole.
    _ = try await reader.backup(to: backupPath, overwrite: true, as: .service)
    let other = try Fixture()
    let ledger = try await other.open()
    _ = try await ledger.signUp(email: "z@example.com", as: .service)
    await ledger.close()
    let replaced = try await Ledger.restore(from: backupPath, to: other.path, force: true)
    #expect(replaced.ok && replaced.head == first.head)
    #expect(try Fixture.projectionDump(path: other.path) == fixture.projectionDump())
  }

  @Test("restore waits for a running writer and then refuses: it never replaces a live ledger")
  func liveTarget() async throws {
    let fixture = try await HashChainTests.history()
    let backupPath = fixture.folder.appendingPathComponent("backup.sqlite").path
    _ = try await LedgerReader.open(path: fixture.path).backup(to: backupPath, as: .service)
    let ledger = try await fixture.open()
    await #expect {
      _ = try await Ledger.restore(
        from: backupPath, to: fixture.path, force: true, lockTimeout: .milliseconds(100))
    } throws: { error in
      if case LedgerError.ledgerInUse = error { return true }
      return false
    }
    await ledger.close()
  }
}
