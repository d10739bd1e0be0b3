import Foundation
import Testing

@testable import CreditLedger

@Suite("One writer per file")
struct WriterLockTests {
  @Test("a second writer on the same file waits, then fails with ledgerInUse")
  func secondWriterFails() async throws {
    let fixture = try Fixture()
    let first = try await fixture.open()
    await #expect {
      _ = try await fixture.open()
    } throws: { error in
      guard case LedgerError.ledgerInUse(let path, let holder) = error else { return false }
      return path == fixture.path && holder.contains("pid")
    }
    await first.close()
  }

  @Test("once the first writer closes, the next one opens and sees its writes")
  func nextWriterAfterClose() async throws {
    let fixture = try Fixture()
    let first = try await fixture.open()
    let user = try await first.signUp(email: "ada@example.com", as: .service).id
    await first.close()
    let second = try await fixture.open()
    #expect(try await second.reader.balance(userID: user, as: .service).credits == 300)
    await second.close()
  }

  @Test("a waiting writer gets in when the holder closes within the timeout")
  func waiterGetsIn() async throws {
    let fixture = try Fixture()
    var configuration = fixture.configuration
    configuration.lockTimeout = .seconds(20)
    let first = try await fixture.open()
    async let second = Ledger.open(path: fixture.path, configuration: configuration)
    try await Task.sleep(for: .milliseconds(100))
    await first.close()
    await (try await second).close()
  }

  @Test("a holder that removes the lock file as it lets go leaves a waiter locking the file at the path")
  func removedLockFile() async throws {
    let fixture = try Fixture()
    let first = try await WriterLock.acquire(databasePath: fixture.path, timeout: .seconds(1))
    async let second = WriterLock.acquire(databasePath: fixture.path, timeout: .seconds(20))
    try await Task.sleep(for: .milliseconds(100))
    first.release(removingFile: true)
    let waiter = try await second
    #expect(FileManager.default.fileExists(atPath: fixture.path + ".lock"))
    // Had the waiter kept the removed file's lock, a third would lock the new one at the path.
    await #expect {
      _ = try await WriterLock.acquire(databasePath: fixture.path, timeout: .milliseconds(100))
    } throws: { error in
      guard case LedgerError.ledgerInUse = error else { return false }
      return true
    }
    waiter.release()
  }

  @Test("reading needs no lock and never creates a file")
  func readerWithoutLock() async throws {
    let fixture = try Fixture()
    #expect(throws: LedgerError.ledgerNotFound(path: fixture.path)) {
      _ = try LedgerReader.open(path: fixture.path)
    }
    #expect(!FileManager.default.fileExists(atPath: fixture.path))
    let ledger = try await fixture.open()
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    let reader = try LedgerReader.open(path: fixture.path)
    #expect(try await reader.balance(userID: user, as: .service).credits == 300)
    await ledger.close()
  }
}
