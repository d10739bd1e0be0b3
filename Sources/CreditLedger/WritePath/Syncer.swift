import CLedgerSQLite
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Makes committed batches durable and answers their callers, on threads of their own, so that
/// the writer never waits for the disk: while an `fdatasync` of the WAL runs here, the writer
/// is already committing the next batches, and the next `fdatasync` covers all of them.
///
/// The writer's connection runs with SQLite's `synchronous=OFF`; these threads are what make
/// "done" mean durable. A batch is handed over after its transaction committed (its frames
/// are in the WAL file); its callers' calls return only after an `fdatasync` of the WAL that
/// began after that, in commit order. A crash before it loses only unanswered batches, and
/// always a suffix of the log: an fsync covers every write before it. Checkpoints run on
/// their own connection with `synchronous=FULL`, which syncs the WAL before copying it and
/// the database before the WAL is reused.
///
/// Up to ``Limits/syncsInFlightMax`` syncs run at once, each on its own thread: batches
/// committed while one runs start the next at once instead of waiting for it to return
/// (on this project's VM two threads syncing one file complete ~1.5× the syncs a second of
/// one). Each sync takes the batches waiting when it starts, and answers go out in the order
/// the syncs started: a later sync that returns first waits for the earlier ones, so that
/// balances, the durable end and the projections only ever move forward.
///
/// If an `fdatasync` fails, nothing after it can be promised: the waiting callers get
/// ``LedgerError/storageFailure(_:)`` and so does every later batch (those of syncs already
/// running too), until the ledger is reopened.
final class Syncer: Sendable {
  /// The callers of one committed batch and what each is told.
  struct Batch {
    var replies: [Writer.Reply]
    var lastSeq: Int64
    /// The balances the batch changed: readers see them once it is durable.
    var balances: DurableBalances.Changes
    /// When its transaction committed.
    var committed = ContinuousClock.now
    /// Its queue wait and commit, for ``onAnswered``, which adds the rest here.
    var timings = BatchTimings(
      commands: 0, queued: .zero, commit: .zero, syncWait: .zero, sync: .zero, answered: .zero)
    /// A lone caller answered as the sync started, which waits on this for its outcome.
    var answeredEarly: DurabilityWait? = nil
  }

  /// The batches one sync covered, whether it failed, and when it started and returned (no
  /// return when the batches needed no `fdatasync`), waiting for earlier syncs to answer.
  private typealias Synced = (
    batches: [Batch], failure: LedgerError?, started: ContinuousClock.Instant,
    returned: ContinuousClock.Instant?
  )

  private struct State: ~Copyable {
    var batches: [Batch] = []
    var sleeping = 0
    var stopping = false
    /// Syncs running (on these threads or inline), at most `syncsInFlightMax`.
    var running = 0
    /// Syncs started so far: the next one's place in the answering order.
    var started = 0
    /// Syncs whose callers have been answered (all of those started before them too).
    var answered = 0
    /// Syncs that returned before an earlier one, by their place in the order.
    var returned: [Int: Synced] = [:]
    /// A thread is answering returned syncs in order; others leave theirs to it.
    var answering = false
    var failure: LedgerError?

    /// Takes the waiting batches for a new sync, if one may start.
    mutating func startSync(inline: Bool) -> (place: Int, batches: [Batch])? {
      guard running < syncsInFlightMax, !batches.isEmpty || inline else { return nil }
      running += 1
      started += 1
      defer { batches.removeAll(keepingCapacity: true) }
      return (started - 1, batches)
    }

    /// Removes and returns the returned syncs whose turn to answer has come, in order.
    mutating func takeReturnedInOrder() -> [Synced] {
      var ready: [Synced] = []
      while let next = returned.removeValue(forKey: answered) {
        ready.append(next)
        answered += 1
      }
      return ready
    }

    let syncsInFlightMax: Int
  }

  private let state: Mutex<State>
  private let wake = DispatchSemaphore(value: 0)
  private let stopped = DispatchSemaphore(value: 0)
  private let threadCount: Int
  private let walPath: String
  /// The WAL's descriptor, opened by the first sync or writeback (``walDescriptor()``).
  private let descriptor = Mutex<Int32>(-1)
  private let syncs = Atomic<Int>(0)
  private let flush: @Sendable (Int32) -> Int32
  /// Hears that a flush failed, once: readers waiting for writes past the durable end stop.
  private let onFailure = Mutex<(@Sendable () -> Void)?>(nil)
  private let durableSeq: Atomic<Int64>
  /// Hears each new durable sequence number: the projections may take the events up to it.
  private let onDurable: @Sendable (Int64) -> Void
  /// What the ledger's readers read balances from: changed before callers are answered.
  private let balances: DurableBalances
  /// Whether ``syncInline(_:)`` answers a lone command's caller as its sync starts.
  private let answersLoneCallerEarly: Bool
  /// Hears where each batch's time went, once its callers are answered.
  private let onAnswered: (@Sendable (BatchTimings) -> Void)?

  /// `flush` is `fdatasync` but in tests of its failure.
  init(
    databasePath: String, durableSeq: Int64, balances: DurableBalances, syncsInFlightMax: Int,
    answersLoneCallerEarly: Bool = false, batchScheduled: Bool = true,
    flush: @escaping @Sendable (Int32) -> Int32 = fdatasync,
    onAnswered: (@Sendable (BatchTimings) -> Void)? = nil,
    onDurable: @escaping @Sendable (Int64) -> Void
  ) {
    precondition(syncsInFlightMax >= 1, "at least one sync must be able to run")
    walPath = databasePath + "-wal"
    self.balances = balances
    self.answersLoneCallerEarly = answersLoneCallerEarly
    self.flush = flush
    self.onAnswered = onAnswered
    self.durableSeq = Atomic(durableSeq)
    self.onDurable = onDurable
    state = Mutex(State(syncsInFlightMax: syncsInFlightMax))
    threadCount = syncsInFlightMax
    for index in 0..<syncsInFlightMax {
      LedgerThread.start("ledger-syncer-\(index)", batch: batchScheduled) { [self] in run() }
    }
  }

  /// The failure that stopped durability, if one did: the writer fails every batch with it.
  var failure: LedgerError? { state.withLock { $0.failure } }
  /// `fdatasync` calls so far.
  var syncCount: Int { syncs.load(ordering: .relaxed) }
  /// The last sequence number known durable.
  var durable: Int64 { durableSeq.load(ordering: .acquiring) }

  /// Starts the WAL's writeback now, without waiting (`sync_file_range` with
  /// `SYNC_FILE_RANGE_WRITE`): the frames are on their way to the disk while a syncer thread
  /// wakes up, and its `fdatasync` waits for less (p50 142–150 against 170 µs at 32 callers).
  /// Only a hint: durability is still that `fdatasync`'s, and an error here shows there too.
  func startWriteback() {
    let descriptor = walDescriptor()
    if descriptor >= 0 { _ = ledger_start_writeback(descriptor) }
  }

  /// Hands over a committed batch; its callers are answered once it is durable.
  func acknowledge(_ batch: Batch) {
    let wakeOne = state.withLock { state in
      state.batches.append(batch)
      guard state.sleeping > 0, state.running < state.syncsInFlightMax else { return false }
      state.sleeping -= 1
      return true
    }
    if wakeOne { wake.signal() }
  }

  /// Sets what hears that a flush failed (set once, after the writer is made).
  func setOnFailure(_ handler: @escaping @Sendable () -> Void) {
    onFailure.withLock { $0 = handler }
  }

  /// Makes `batch` durable on the calling thread, if no batch waits here and no sync runs:
  /// one caller at a time then waits for its `fdatasync` without a hop to a syncer thread and
  /// back. False, with nothing done, when busy: hand the batch to ``acknowledge(_:)``.
  ///
  /// A lone command's caller that succeeded is answered as the sync starts, with a
  /// ``DurabilityWait`` to wait on: its task wakes up while the disk works.
  func syncInline(_ batch: Batch) -> Bool {
    let place = state.withLock { state -> Int? in
      guard state.batches.isEmpty, state.running == 0, !state.stopping else { return nil }
      return state.startSync(inline: true)?.place
    }
    guard let place else { return false }
    var batch = batch
    if answersLoneCallerEarly, batch.replies.count == 1, case .success(var answer) = batch.replies[0].result {
      let wait = DurabilityWait()
      answer.durability = wait
      let continuation = batch.replies.removeFirst().continuation
      batch.answeredEarly = wait
      // The frames leave first: the caller's thread, woken next, may take this CPU for a while.
      startWriteback()
      continuation.resume(returning: answer)
    }
    finish(place, [batch])
    return true
  }

  /// Answers what is left and ends the threads.
  func stop() {
    state.withLock { $0.stopping = true }
    for _ in 0..<threadCount { wake.signal() }
    for _ in 0..<threadCount { stopped.wait() }
    let descriptor = descriptor.withLock { $0 }
    if descriptor >= 0 { close(descriptor) }
  }

  private func run() {
    defer {
      // A thread that went back to sleep while the last batches were being synced is woken
      // by the one that leaves after them.
      wake.signal()
      stopped.signal()
    }
    while true {
      let (sync, stopping) = state.withLock { state -> ((place: Int, batches: [Batch])?, Bool) in
        if let sync = state.startSync(inline: false) { return (sync, false) }
        if state.stopping && state.batches.isEmpty { return (nil, true) }
        state.sleeping += 1
        return (nil, false)
      }
      guard let sync else {
        if stopping { return }
        wake.wait()
        continue
      }
      finish(sync.place, sync.batches)
    }
  }

  /// Syncs, then answers the callers of `batches` once every earlier sync has answered.
  /// Batches that appended nothing past what is durable (all refused, or idempotent replays)
  /// were decided on durable state: they need no fdatasync of their own.
  private func finish(_ place: Int, _ batches: [Batch]) {
    let last = batches.last?.lastSeq ?? 0
    let started = ContinuousClock.now
    let syncs = last > durable
    let failure = syncs ? sync() : nil
    let returned = syncs ? ContinuousClock.now : nil
    // A batch handed over while every sync ran found no thread free to wake: wake one now.
    var (ready, wakeOne) = state.withLock { state -> ([Synced], Bool) in
      state.running -= 1
      state.returned[place] = (batches, failure, started, returned)
      let wakeOne = state.sleeping > 0 && !state.batches.isEmpty
      if wakeOne { state.sleeping -= 1 }
      guard !state.answering else { return ([], wakeOne) }
      let ready = state.takeReturnedInOrder()
      state.answering = !ready.isEmpty
      return (ready, wakeOne)
    }
    if wakeOne { wake.signal() }
    while !ready.isEmpty {
      for synced in ready { answer(synced) }
      ready = state.withLock { state in
        let next = state.takeReturnedInOrder()
        if next.isEmpty { state.answering = false }
        return next
      }
    }
  }

  /// Makes what one sync covered visible and resumes its callers; a failure of this sync or
  /// an earlier one fails them all.
  private func answer(_ synced: Synced) {
    let failure = synced.failure ?? self.failure
    if failure == nil {
      let last = synced.batches.last?.lastSeq ?? 0
      for batch in synced.batches { balances.apply(batch.balances) }
      durableSeq.store(max(last, durable), ordering: .releasing)
      onDurable(durable)
    }
    for batch in synced.batches {
      batch.answeredEarly?.finish(failure: failure)
      for reply in batch.replies {
        reply.continuation.resume(with: failure.map { .failure($0) } ?? reply.result)
      }
    }
    guard let onAnswered else { return }
    let now = ContinuousClock.now
    for batch in synced.batches {
      var timings = batch.timings
      timings.syncWait = batch.committed.duration(to: synced.started)
      timings.sync = synced.returned.map { synced.started.duration(to: $0) } ?? .zero
      timings.answer(committed: batch.committed, at: now)
      onAnswered(timings)
    }
  }

  /// One `fdatasync` of the WAL, opening it (and syncing its directory entry) the first time.
  private func sync() -> LedgerError? {
    if let failure = state.withLock({ $0.failure }) { return failure }
    let descriptor = walDescriptor()
    syncs.add(1, ordering: .relaxed)
    guard descriptor >= 0, flush(descriptor) == 0 else {
      let failure = LedgerError.storageFailure(
        "fdatasync \(walPath): \(String(cString: strerror(errno))); whether this batch survives is unknown until the ledger is reopened (retry then with the same idempotency key), and nothing after it is accepted"
      )
      state.withLock { $0.failure = $0.failure ?? failure }
      onFailure.withLock { $0 }?()
      return failure
    }
    return nil
  }

  /// The WAL's descriptor, opened by the first call; -1 if it cannot be opened (then tried
  /// again next time).
  private func walDescriptor() -> Int32 {
    descriptor.withLock { descriptor in
      if descriptor < 0 { descriptor = Self.openWAL(walPath) }
      return descriptor
    }
  }

  /// Opens the WAL for syncing and syncs its directory entry, so that the file itself
  /// survives a crash; -1 if it cannot be opened.
  private static func openWAL(_ walPath: String) -> Int32 {
    let descriptor = open(walPath, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return descriptor }
    let directory = (walPath as NSString).deletingLastPathComponent
    let directoryDescriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
    if directoryDescriptor >= 0 {
      fsync(directoryDescriptor)
      close(directoryDescriptor)
    }
    return descriptor
  }
}
