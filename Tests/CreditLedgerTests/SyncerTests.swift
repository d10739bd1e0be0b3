import Foundation
import Synchronization
import Testing

@testable import CreditLedger

@Suite("Syncs in flight: a later sync never answers before an earlier one, and an earlier failure fails it")
struct SyncerTests {
  /// What a batch's one caller is told when its sync succeeded: the batch's own marker.
  struct Marker: Error, Equatable {
    let seq: Int64
  }

  /// The first flush's gate, what flushes ran, and what the syncer made durable.
  final class Flushes: Sendable {
    let count = Atomic<Int>(0)
    let release = DispatchSemaphore(value: 0)
    let madeDurable = Mutex<[Int64]>([])
  }

  /// A syncer over a real WAL file whose first flush waits for `release` and then succeeds or
  /// fails; every later flush is a real `fdatasync`.
  final class Harness: Sendable {
    let syncer: Syncer
    let flushes = Flushes()
    let answered = Mutex<Set<Int64>>([])

    init(syncsInFlightMax: Int, firstFails: Bool) throws {
      let fixture = try Fixture()
      try Data(count: 4096).write(to: URL(fileURLWithPath: fixture.path + "-wal"))
      let flushes = flushes
      syncer = Syncer(
        databasePath: fixture.path, durableSeq: 0, balances: DurableBalances([:]),
        syncsInFlightMax: syncsInFlightMax,
        flush: { descriptor in
          guard flushes.count.add(1, ordering: .relaxed).oldValue == 0 else { return fdatasync(descriptor) }
          flushes.release.wait()
          guard firstFails else { return fdatasync(descriptor) }
          errno = EIO
          return -1
        },
        onDurable: { seq in flushes.madeDurable.withLock { $0.append(seq) } })
    }

    /// Hands over a batch of one caller ending the log at `seq`; the task returns what the
    /// caller was told (its marker, or the failure).
    func send(_ seq: Int64) -> Task<any Error, Never> {
      Task {
        do {
          _ = try await withCheckedThrowingContinuation { continuation in
            syncer.acknowledge(
              Syncer.Batch(replies: [(continuation, .failure(Marker(seq: seq)))], lastSeq: seq, balances: []))
          }
          Issue.record("the batch's caller was told success it was never given")
          return Marker(seq: -1)
        } catch {
          answered.withLock { _ = $0.insert(seq) }
          return error
        }
      }
    }

    /// Hands over batches 1 and 2, the second once the first's flush is held, and returns when
    /// both flushes have started: two syncs in flight, the first waiting for `release`.
    func sendTwoInFlight() async throws -> (first: Task<any Error, Never>, second: Task<any Error, Never>) {
      let first = send(1)
      try await waitForFlushes(1)
      let second = send(2)
      try await waitForFlushes(2)
      return (first, second)
    }

    /// Waits (up to 5 s) until `count` flushes have started.
    func waitForFlushes(_ count: Int) async throws {
      let deadline = ContinuousClock.now + .seconds(5)
      while flushes.count.load(ordering: .relaxed) < count && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(2))
      }
    }
  }

  @Test("two in flight: the second batch is synced while the first's sync runs, and answered only after it")
  func laterWaitsForEarlier() async throws {
    let harness = try Harness(syncsInFlightMax: 2, firstFails: false)
    let (first, second) = try await harness.sendTwoInFlight()
    try await Task.sleep(for: .milliseconds(100))
    #expect(
      harness.flushes.count.load(ordering: .relaxed) == 2, "the second sync did not start while the first ran"
    )
    #expect(harness.answered.withLock { $0 }.isEmpty, "a caller was answered before the first sync returned")
    #expect(harness.syncer.durable == 0)
    harness.flushes.release.signal()
    #expect(await first.value as? Marker == Marker(seq: 1))
    #expect(await second.value as? Marker == Marker(seq: 2))
    #expect(harness.flushes.madeDurable.withLock { $0 } == [1, 2], "the durable end moved out of order")
    #expect(harness.syncer.durable == 2)
    harness.syncer.stop()
  }

  @Test("the earlier sync fails: the later batch's callers are failed too, though its own flush succeeded")
  func earlierFailureFailsLater() async throws {
    let harness = try Harness(syncsInFlightMax: 2, firstFails: true)
    let (first, second) = try await harness.sendTwoInFlight()
    harness.flushes.release.signal()
    for task in [first, second] {
      guard case .storageFailure(let message) = await task.value as? LedgerError else {
        Issue.record("expected storageFailure, got \(await task.value)")
        continue
      }
      #expect(message.contains("fdatasync"))
    }
    #expect(harness.flushes.madeDurable.withLock { $0 }.isEmpty)
    #expect(harness.syncer.durable == 0)
    #expect(harness.syncer.failure != nil)
    harness.syncer.stop()
  }

  @Test("syncsInFlightMax 1: a batch handed over during a sync waits for it before its own starts")
  func oneAtATime() async throws {
    let harness = try Harness(syncsInFlightMax: 1, firstFails: false)
    let first = harness.send(1)
    try await harness.waitForFlushes(1)
    let second = harness.send(2)
    try await Task.sleep(for: .milliseconds(100))
    #expect(harness.flushes.count.load(ordering: .relaxed) == 1, "a second sync started past the bound")
    harness.flushes.release.signal()
    #expect(await first.value as? Marker == Marker(seq: 1))
    #expect(await second.value as? Marker == Marker(seq: 2))
    #expect(harness.syncer.durable == 2)
    harness.syncer.stop()
  }
}
