import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Makes committed batches durable and answers their callers, on a thread of its own, so that
/// the writer never waits for the disk: while one `fdatasync` of the WAL runs here, the writer
/// is already committing the next batches, and the next `fdatasync` covers all of them.
///
/// The writer's connection runs with SQLite's `synchronous=OFF`; this thread is what makes
/// "done" mean durable. A batch is handed over after its transaction committed (its frames
/// are in the WAL file); its callers are resumed only after an `fdatasync` of the WAL that
/// began after that, in commit order. A crash before it loses only unanswered batches, and
/// always a suffix of the log: an fsync covers every write before it. Checkpoints run on
/// their own connection with `synchronous=NORMAL`, which syncs the WAL before copying it and
/// the database before the WAL is reused.
///
/// If an `fdatasync` fails, nothing after it can be promised: the waiting callers get
/// ``LedgerError/storageFailure(_:)`` and so does every later batch, until the ledger is reopened.
final class Syncer: Sendable {
  /// The callers of one committed batch and what each is told.
  struct Batch {
    var answers:
      [(
        continuation: CheckedContinuation<Writer.Answer, any Error>, result: Result<Writer.Answer, any Error>
      )]
    var lastSeq: Int64
    /// The balances the batch changed: readers see them once it is durable.
    var balances: DurableBalances.Changes
  }

  private struct State: ~Copyable {
    var batches: [Batch] = []
    var sleeping = false
    var stopping = false
    /// A sync is running (on this thread or inline): one at a time, answers in commit order.
    var syncing = false
    var failure: LedgerError?
  }

  private let state = Mutex(State())
  private let wake = DispatchSemaphore(value: 0)
  private let stopped = DispatchSemaphore(value: 0)
  private let walPath: String
  /// The WAL's descriptor, opened by the first sync; only the one running sync touches it.
  private let descriptor = Atomic<Int32>(-1)
  private let syncs = Atomic<Int>(0)
  private let flush: @Sendable (Int32) -> Int32
  /// Hears that a flush failed, once: readers waiting for writes past the durable end stop.
  private let onFailure = Mutex<(@Sendable () -> Void)?>(nil)
  private let durableSeq: Atomic<Int64>
  /// Hears each new durable sequence number: the projections may take the events up to it.
  private let onDurable: @Sendable (Int64) -> Void
  /// What the ledger's readers read balances from: changed before callers are answered.
  private let balances: DurableBalances

  /// `flush` is `fdatasync` but in tests of its failure.
  init(
    databasePath: String, durableSeq: Int64, balances: DurableBalances,
    flush: @escaping @Sendable (Int32) -> Int32 = fdatasync,
    onDurable: @escaping @Sendable (Int64) -> Void
  ) {
    walPath = databasePath + "-wal"
    self.balances = balances
    self.flush = flush
    self.durableSeq = Atomic(durableSeq)
    self.onDurable = onDurable
    let thread = Thread { [self] in run() }
    thread.name = "ledger-syncer"
    thread.start()
  }

  /// The failure that stopped durability, if one did: the writer fails every batch with it.
  var failure: LedgerError? { state.withLock { $0.failure } }
  /// `fdatasync` calls so far.
  var syncCount: Int { syncs.load(ordering: .relaxed) }
  /// The last sequence number known durable.
  var durable: Int64 { durableSeq.load(ordering: .acquiring) }

  /// Hands over a committed batch; its callers are answered once it is durable.
  func acknowledge(_ batch: Batch) {
    let wasSleeping = state.withLock { state in
      state.batches.append(batch)
      defer { state.sleeping = false }
      return state.sleeping
    }
    if wasSleeping { wake.signal() }
  }

  /// Sets what hears that a flush failed (set once, after the writer is made).
  func setOnFailure(_ handler: @escaping @Sendable () -> Void) {
    onFailure.withLock { $0 = handler }
  }

  /// Makes `batch` durable on the calling thread, if no batch waits here and no sync runs:
  /// one caller at a time then waits for its `fdatasync` without a hop to this thread and
  /// back. False, with nothing done, when busy: hand the batch to ``acknowledge(_:)``.
  func syncInline(_ batch: Batch) -> Bool {
    let free = state.withLock { state in
      guard state.batches.isEmpty, !state.syncing, !state.stopping else { return false }
      state.syncing = true
      return true
    }
    guard free else { return false }
    finish([batch])
    state.withLock { $0.syncing = false }
    return true
  }

  /// Answers what is left and ends the thread.
  func stop() {
    state.withLock { $0.stopping = true }
    wake.signal()
    stopped.wait()
  }

  private func run() {
    defer {
      let descriptor = descriptor.load(ordering: .relaxed)
      if descriptor >= 0 { close(descriptor) }
      stopped.signal()
    }
    while true {
      let (batches, stopping) = state.withLock { state -> ([Batch], Bool) in
        // An inline sync runs: its batch was committed before any waiting here. Wait for it
        // (the writer signals after it), so that answers keep commit order.
        if state.batches.isEmpty || state.syncing {
          state.sleeping = true
          return ([], state.stopping && !state.syncing)
        }
        state.syncing = true
        defer { state.batches.removeAll(keepingCapacity: true) }
        return (state.batches, state.stopping)
      }
      if batches.isEmpty {
        if stopping { return }
        wake.wait()
        continue
      }
      finish(batches)
      state.withLock { $0.syncing = false }
    }
  }

  /// Syncs, then answers the callers of `batches`, in order. Batches that appended nothing
  /// past what is durable (all refused, or idempotent replays) were decided on durable state:
  /// they need no fdatasync of their own.
  private func finish(_ batches: [Batch]) {
    let last = batches.last?.lastSeq ?? 0
    let failure = last > durable ? sync() : self.failure
    if failure == nil {
      for batch in batches { balances.apply(batch.balances) }
      durableSeq.store(max(last, durable), ordering: .releasing)
      onDurable(durable)
    }
    for batch in batches {
      for answer in batch.answers {
        answer.continuation.resume(with: failure.map { .failure($0) } ?? answer.result)
      }
    }
  }

  /// One `fdatasync` of the WAL, opening it (and syncing its directory entry) the first time.
  private func sync() -> LedgerError? {
    if let failure = state.withLock({ $0.failure }) { return failure }
    var descriptor = self.descriptor.load(ordering: .relaxed)
    if descriptor < 0 {
      descriptor = open(walPath, O_RDONLY | O_CLOEXEC)
      self.descriptor.store(descriptor, ordering: .relaxed)
      if descriptor >= 0 {
        let directory = (walPath as NSString).deletingLastPathComponent
        let directoryDescriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
          fsync(directoryDescriptor)
          close(directoryDescriptor)
        }
      }
    }
    syncs.add(1, ordering: .relaxed)
    guard descriptor >= 0, flush(descriptor) == 0 else {
      let failure = LedgerError.storageFailure(
        "fdatasync \(walPath): \(String(cString: strerror(errno))); whether this batch survives is unknown until the ledger is reopened (retry then with the same idempotency key), and nothing after it is accepted"
      )
      state.withLock { $0.failure = failure }
      onFailure.withLock { $0 }?()
      return failure
    }
    return nil
  }
}
