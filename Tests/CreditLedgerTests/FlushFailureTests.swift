import Foundation
import Synchronization
import Testing

@testable import CreditLedger

@Suite(
  "A failing fdatasync: its callers are told, nothing more is accepted, and a retry after reopening is safe")
struct FlushFailureTests {
  @Test(
    "a flush fails: the send gets storageFailure naming fdatasync, later sends are refused without a commit, and after reopening the same idempotency keys neither lose nor double a debit"
  )
  func flushFails() async throws {
    let fixture = try Fixture()
    var configuration = fixture.configuration
    let failing = Mutex(false)
    configuration.flushForTesting = { descriptor in
      guard failing.withLock({ $0 }) else { return fdatasync(descriptor) }
      errno = EIO
      return -1
    }
    var ledger = try await Ledger.open(path: fixture.path, configuration: configuration)
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    failing.withLock { $0 = true }
    let first = await #expect(throws: LedgerError.self) {
      try await ledger.send(Fixture.mail(to: user, credits: 10), idempotencyKey: "k1", as: .service)
    }
    guard case .storageFailure(let message) = first else {
      Issue.record("expected storageFailure, got \(String(describing: first))")
      return
    }
    #expect(message.contains("fdatasync") && message.contains("unknown"))
    failing.withLock { $0 = false }
    // Nothing after a failed flush is promised, so nothing more is taken, flush or not.
    await #expect(throws: LedgerError.self) {
      try await ledger.send(Fixture.mail(to: user, credits: 20), idempotencyKey: "k2", as: .service)
    }
    #expect(ledger.statistics.durableSeq == 1)
    // Reads do not wait for projections that will not come; they hold the signup only.
    #expect(try await ledger.reader.balance(userID: user, as: .service).credits == 300)
    await ledger.close()

    ledger = try await fixture.open()
    // The first batch was committed before its flush failed; here the kernel kept it, so the
    // retry finds it. The second was refused before any commit: its retry is a new event.
    let retried = try await ledger.send(
      Fixture.mail(to: user, credits: 10), idempotencyKey: "k1", as: .service)
    let second = try await ledger.send(
      Fixture.mail(to: user, credits: 20), idempotencyKey: "k2", as: .service)
    #expect(retried.seq == 2 && second.seq == 3)
    #expect(try await ledger.reader.balance(userID: user, as: .service).credits == 270)
    await ledger.close()
    #expect(try await LedgerReader.open(path: fixture.path).verify(as: .service).ok)
  }

  @Test("a read waiting for a write whose flush then fails is answered, not left waiting")
  func readerWaitingWhenFlushFails() async throws {
    let fixture = try Fixture()
    var configuration = fixture.configuration
    let failing = Mutex(false)
    let release = DispatchSemaphore(value: 0)
    configuration.flushForTesting = { descriptor in
      guard failing.withLock({ $0 }) else { return fdatasync(descriptor) }
      release.wait()  // the read registers while this flush is in flight
      errno = EIO
      return -1
    }
    let ledger = try await Ledger.open(path: fixture.path, configuration: configuration)
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    failing.withLock { $0 = true }
    let send = Task { try await ledger.send(Fixture.mail(to: user), as: .service) }
    while ledger.statistics.committedSeq < 2 { try await Task.sleep(for: .milliseconds(5)) }
    let read = Task { try await ledger.reader.balance(userID: user, as: .service).credits }
    try await Task.sleep(for: .milliseconds(200))
    release.signal()
    await #expect(throws: LedgerError.self) { try await send.value }
    // Left waiting, the read would only be let go by close(): do that after 10 s, and fail.
    let timedOut = Mutex(false)
    let timeout = Task {
      try await Task.sleep(for: .seconds(10))
      timedOut.withLock { $0 = true }
      await ledger.close()
    }
    let answered = try? await read.value
    timeout.cancel()
    #expect(!timedOut.withLock { $0 }, "the read was left waiting for a write never projected")
    #expect(answered == 300, "the read was answered from the durable state")
    await ledger.close()
  }
}
