import Foundation
import Synchronization
import Testing

@testable import CreditLedger

@Suite("Batch timings: every batch reported once its callers are answered, its stages in order")
struct BatchTimingsTests {
  /// The timings a ledger reported, and whether its flushes are slowed down.
  final class Heard: Sendable {
    let timings = Mutex<[BatchTimings]>([])
    let slowFlush = Mutex(false)
    let flushes = Atomic<Int>(0)

    /// Waits (up to 10 s) until `count` batches were reported, and returns them.
    func batches(_ count: Int) async throws -> [BatchTimings] {
      let deadline = ContinuousClock.now + .seconds(10)
      while timings.withLock({ $0.count }) < count && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(2))
      }
      return timings.withLock { $0 }
    }
  }

  /// A ledger whose batches are reported to the returned `Heard`, with one user (300 credits)
  /// whose signup's batch has been reported; its flushes take 30 ms more once `slowFlush` is set.
  func open(_ synchronous: LedgerConfiguration.Synchronous = .full) async throws -> (Ledger, Heard, UUID) {
    let heard = Heard()
    let ledger = try await Fixture().open { configuration in
      configuration.synchronous = synchronous
      configuration.onBatchAnswered = { timings in heard.timings.withLock { $0.append(timings) } }
      configuration.flushForTesting = { descriptor in
        heard.flushes.add(1, ordering: .relaxed)
        if heard.slowFlush.withLock({ $0 }) { usleep(30_000) }
        return fdatasync(descriptor)
      }
    }
    let user = try await ledger.signUp(email: "ada@example.com", as: .service).id
    _ = try await heard.batches(1)
    return (ledger, heard, user)
  }

  /// The stages follow one another inside the batch's round trip.
  func expectInOrder(_ timings: BatchTimings, sourceLocation: SourceLocation = #_sourceLocation) {
    for stage in [timings.queued, timings.commit, timings.syncWait, timings.sync] {
      #expect(stage >= .zero, sourceLocation: sourceLocation)
    }
    #expect(
      timings.queued + timings.commit + timings.syncWait + timings.sync <= timings.answered,
      "\(timings)", sourceLocation: sourceLocation)
  }

  @Test("a send's batch is reported with the fdatasync that made it durable, inside its round trip")
  func sendReportsItsSync() async throws {
    let (ledger, heard, user) = try await open()
    heard.slowFlush.withLock { $0 = true }
    _ = try await ledger.send(Fixture.mail(to: user, credits: 5), as: .service)
    let batches = try await heard.batches(2)
    #expect(batches.count == 2)
    let send = try #require(batches.last)
    #expect(send.commands == 1)
    #expect(send.sync >= .milliseconds(30), "the slowed flush is the batch's fdatasync")
    #expect(send.commit < .milliseconds(30), "no flush inside the commit")
    expectInOrder(send)
    await ledger.close()
  }

  @Test("a batch that appended nothing (a refusal) is reported without an fdatasync, and none ran")
  func refusalNeedsNoSync() async throws {
    let (ledger, heard, user) = try await open()
    let flushesBefore = heard.flushes.load(ordering: .relaxed)
    await #expect(throws: Rejection.insufficientCredits(currentCredits: 300)) {
      try await ledger.send(Fixture.mail(to: user, credits: 301), as: .service)
    }
    let refused = try #require(try await heard.batches(2).last)
    #expect(refused.commands == 1 && refused.sync == .zero)
    #expect(heard.flushes.load(ordering: .relaxed) == flushesBefore)
    expectInOrder(refused)
    await ledger.close()
  }

  @Test("every command is counted in exactly one reported batch, however the sends were batched")
  func everyCommandCountedOnce() async throws {
    let (ledger, heard, user) = try await open()
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<40 {
        group.addTask { _ = try await ledger.send(Fixture.mail(to: user, credits: 1), as: .service) }
      }
      try await group.waitForAll()
    }
    let deadline = ContinuousClock.now + .seconds(10)
    while heard.timings.withLock({ $0.reduce(0) { $0 + $1.commands } }) < 41 && ContinuousClock.now < deadline
    {
      try await Task.sleep(for: .milliseconds(2))
    }
    let batches = heard.timings.withLock { $0 }
    #expect(batches.reduce(0) { $0 + $1.commands } == 41)
    for batch in batches { expectInOrder(batch) }
    await ledger.close()
    #expect(heard.timings.withLock { $0.count } == batches.count, "a batch was reported twice")
  }

  @Test("with synchronous=normal the writer answers at the commit: no fdatasync in any batch")
  func normalHasNoSync() async throws {
    let (ledger, heard, user) = try await open(.normal)
    _ = try await ledger.send(Fixture.mail(to: user, credits: 5), as: .service)
    let batches = try await heard.batches(2)
    #expect(batches.map(\.commands) == [1, 1])
    #expect(batches.allSatisfy { $0.sync == .zero && $0.syncWait == .zero })
    #expect(heard.flushes.load(ordering: .relaxed) == 0)
    for batch in batches { expectInOrder(batch) }
    await ledger.close()
  }
}
