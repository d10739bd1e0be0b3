import Foundation
import GRDB
import Synchronization
import Testing

@testable import CreditLedger

@Suite(
  "Resource faults: a full disk, a read-only file system or a foreign lock fails the waiting callers, loses nothing, and recovers"
)
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

  @Test(
    "a batch that fails puts back every balance it changed, however many of its sends were one user's"
  )
  func failedBatchRollsBack() async throws {
    let fixture = try Fixture(startingCredits: 1_000)
    let sizes = Mutex<[Int]>([])
    // Armed, the hook holds the writer after its next batch until released: the sends queued
    // meanwhile, in the order the test queues them, then commit as one batch.
    let hold = Mutex((armed: false, held: false))
    let release = DispatchSemaphore(value: 0)
    let ledger = try await fixture.open { configuration in
      configuration.onBatchCommittedForTesting = { commands in
        sizes.withLock { $0.append(commands) }
        guard
          hold.withLock({ hold in
            defer { hold.armed = false }
            hold.held = hold.armed
            return hold.armed
          })
        else { return }
        _ = release.wait(timeout: .now() + 30)
      }
    }
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    // Room for a few small mails, not for a big one.
    try await ledger.pool.writeWithoutTransaction { db in
      let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
      try db.execute(sql: "PRAGMA max_page_count = \(pages + 16)")
    }
    let big = SendMail(
      userID: user, recipientEmail: "bob@example.com", subject: "Big",
      content: String(repeating: "x", count: 200_000), mailType: .custom, credits: 7)
    hold.withLock { $0.armed = true }
    let first = Task { try await ledger.send(Fixture.mail(to: user, credits: 1), as: .service) }
    while !hold.withLock({ $0.held }) { try await Task.sleep(for: .milliseconds(1)) }
    // Three small sends, then the big one, queue up in that order; the big one fails the
    // batch after the three changed the balance in memory.
    var queued: [Task<MailReceipt, any Error>] = []
    for mail in [Fixture.mail(to: user, credits: 2), Fixture.mail(to: user, credits: 3)]
      + [Fixture.mail(to: user, credits: 4), big]
    {
      let depth = ledger.statistics.queueDepth
      queued.append(Task { try await ledger.send(mail, as: .service) })
      while ledger.statistics.queueDepth == depth { try await Task.sleep(for: .milliseconds(1)) }
    }
    release.signal()
    #expect(try await first.value.remainingCredits == 999)
    for task in queued {
      await #expect(throws: LedgerError.self) { _ = try await task.value }
    }
    #expect(sizes.withLock { $0.suffix(2) } == [1, 4], "the four failed as one batch")
    try await ledger.pool.writeWithoutTransaction {
      try $0.execute(sql: "PRAGMA max_page_count = 1073741823")
    }
    #expect(try await ledger.reader.balance(userID: user, as: .service).credits == 999)
    let after = try await ledger.send(Fixture.mail(to: user, credits: 1), as: .service)
    #expect(after.remainingCredits == 998, "the writer's balance is the one before the failed batch")
    await ledger.close()
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

  @Test(
    "a foreign process holding SQLite's write lock fails the waiting callers after the busy timeout; writes resume when it lets go"
  )
  func foreignLock() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open {
      $0.busyTimeout = .milliseconds(200)
    }
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let before = try await ledger.send(Fixture.mail(to: user, credits: 3), as: .service)
    let shell = try ForeignLock(path: fixture.path)
    var failed = false
    do {
      _ = try await ledger.send(Fixture.mail(to: user, credits: 5), as: .service)
    } catch LedgerError.storageFailure(let message) {
      failed = message.contains("locked")
    }
    shell.release()
    #expect(failed, "the send waited out the busy timeout and was told the database is locked")
    let after = try await ledger.send(Fixture.mail(to: user, credits: 7), as: .service)
    #expect(after.remainingCredits == 300 - 3 - 7, "the refused send was not counted")
    #expect(try await ledger.reader.mail(id: before.mailID, as: .service).creditsUsed == 3)
    await ledger.close()
    #expect(try await LedgerReader.open(path: fixture.path).verify(as: .service).ok)
  }

  @Test(
    "a foreign lock on the projections file holds back only the projections: sends go on, the statistics say why the projections are stuck, they catch up after it, close does not wait for it"
  )
  func foreignLockOnProjections() async throws {
    let fixture = try Fixture()
    let shortBusyTimeout: (inout LedgerConfiguration) -> Void = { $0.busyTimeout = .milliseconds(100) }
    var ledger = try await fixture.open(configuring: shortBusyTimeout)
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    await ledger.waitForProjections()
    let shell = try ForeignLock(path: fixture.path + "-projections")
    for _ in 0..<5 { _ = try await ledger.send(Fixture.mail(to: user, credits: 1), as: .service) }
    #expect(ledger.statistics.projectedSeq == 1, "the projections could not move")
    // Each catch-up fails after the busy timeout, and the statistics say so and why.
    let stuck = ContinuousClock.now
    while ledger.statistics.projectionFailures == 0 && stuck.duration(to: .now) < .seconds(5) {
      try await Task.sleep(for: .milliseconds(10))
    }
    #expect(ledger.statistics.projectionFailures > 0)
    #expect(ledger.statistics.projectionFailure?.contains("database is locked") == true)
    shell.release()
    #expect(try await ledger.reader.balance(userID: user, as: .service).credits == 295)
    await ledger.waitForProjections()
    #expect(ledger.statistics.projectionFailure == nil, "a catch-up committed since")
    #expect(ledger.statistics.projectionFailures > 0, "failures are counted since the ledger opened")
    // Held again while closing: the writer closes anyway, and the next one projects the rest.
    _ = try await ledger.send(Fixture.mail(to: user, credits: 1), as: .service)
    let again = try ForeignLock(path: fixture.path + "-projections")
    await ledger.close()
    again.release()
    ledger = try await fixture.open(configuring: shortBusyTimeout)
    #expect(try await ledger.reader.balance(userID: user, as: .service).credits == 294)
    await ledger.close()
    #expect(try await LedgerReader.open(path: fixture.path).verify(as: .service).ok)
  }

  @Test(
    "on a real full disk (a small tmpfs), sends fail with storageFailure, nothing acknowledged is lost, and writes resume when it grows",
    .enabled(if: TmpfsMount.permitted, "needs permission to mount a tmpfs")
  )
  func realDiskFull() async throws {
    let mount = try TmpfsMount(bytes: 3 << 20)
    defer { mount.unmount() }
    let path = mount.path + "/ledger.sqlite"
    let ledger = try await Ledger.open(path: path)
    let user = try await ledger.signUp(email: "ada@example.com", credits: 1_000_000, as: .service).id
    let big = SendMail(
      userID: user, recipientEmail: "bob@example.com", subject: "Big",
      content: String(repeating: "x", count: 100_000),
      mailType: .custom, credits: 1)
    var acknowledged: [MailReceipt] = []
    var failure: LedgerError?
    for _ in 0..<100 where failure == nil {
      do {
        acknowledged.append(try await ledger.send(big, as: .service))
      } catch let error as LedgerError {
        failure = error
      }
    }
    guard case .storageFailure = failure else {
      Issue.record("expected storageFailure when the disk filled, got \(String(describing: failure))")
      await ledger.close()
      return
    }
    try mount.remount("size=64m")
    let after = try await ledger.send(big, as: .service)
    #expect(after.remainingCredits == 1_000_000 - Int64(acknowledged.count) - 1)
    for receipt in acknowledged {
      #expect(try await ledger.reader.mail(id: receipt.mailID, as: .service).creditsUsed == 1)
    }
    await ledger.close()
    #expect(try await LedgerReader.open(path: path).verify(as: .service).ok)
  }

  @Test(
    "on a read-only file system a writer refuses to open with a clear error, and opens with everything once it is writable",
    .enabled(if: TmpfsMount.permitted, "needs permission to mount a tmpfs")
  )
  func readOnly() async throws {
    let mount = try TmpfsMount(bytes: 8 << 20)
    defer { mount.unmount() }
    let path = mount.path + "/ledger.sqlite"
    let ledger = try await Ledger.open(path: path)
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let receipt = try await ledger.send(Fixture.mail(to: user, credits: 9), as: .service)
    await ledger.close()
    try mount.remount("ro")
    await #expect {
      _ = try await Ledger.open(path: path)
    } throws: { error in
      guard case LedgerError.storageFailure(let message) = error else { return false }
      return message.contains("Read-only file system")
    }
    try mount.remount("rw")
    // A backup is one file in rollback-journal mode: it verifies and restores from read-only media.
    _ = try await LedgerReader.open(path: path).backup(to: mount.path + "/backup.sqlite", as: .service)
    try mount.remount("ro")
    #expect(try await LedgerReader.open(path: mount.path + "/backup.sqlite").verify(as: .service).ok)
    let restored = try Fixture().path
    #expect(try await Ledger.restore(from: mount.path + "/backup.sqlite", to: restored).ok)
    try mount.remount("rw")
    let reopened = try await Ledger.open(path: path)
    #expect(try await reopened.reader.mail(id: receipt.mailID, as: .service).creditsUsed == 9)
    #expect(try await reopened.reader.balance(userID: user, as: .service).credits == 291)
    await reopened.close()
  }
}
