import Foundation
import GRDB
import Synchronization

/// The single writer: the only path that appends to the log.
///
/// Callers enqueue commands and suspend. One dedicated thread takes everything that is
/// waiting, checks each command against the balances it keeps in memory, and commits the lot
/// in one transaction: one fsync per batch (group commit), so the more callers wait, the more
/// each commit carries. A call returns only once its batch is durable (``Syncer``). The
/// projections follow on a thread of their own (``ProjectionWriter``).
///
/// A thread rather than an actor: the notes in `shared/notes/write-path.md` measured an
/// actor awaiting `pool.write` per batch at about half the throughput of a thread that owns
/// the loop.
final class Writer: Sendable {
  struct Request: Sendable {
    var command: Command
    var principal: Principal
    var idempotencyKey: String?
    var continuation: CheckedContinuation<Answer, any Error>
    /// When it was queued: its batch's ``BatchTimings/queued`` is its oldest command's wait.
    var arrived: ContinuousClock.Instant
  }

  /// What a command's caller is told: its event, and whether that event was appended by an
  /// earlier command with the same idempotency key (this one is a replay and appended nothing).
  struct Answer: Sendable {
    var event: Event
    var replayed: Bool
    /// Set when the caller is answered before its batch is durable (a lone command): the
    /// caller waits on it before it returns the event.
    var durability: DurabilityWait? = nil
  }

  /// A request's caller and what it is told: made as the batch is decided, handed to the
  /// syncer as they are.
  typealias Reply = (continuation: CheckedContinuation<Answer, any Error>, result: Result<Answer, any Error>)

  private struct Queue: ~Copyable {
    var requests: [Request] = []
    var sleeping = false
    var closing = false
    var stopped: CheckedContinuation<Void, Never>?
    var isStopped = false
    var committedSeq: Int64 = 0
    var projectedSeq: Int64 = 0
    var projectionWaiters: [(seq: Int64, continuation: CheckedContinuation<Void, Never>)] = []

    /// Removes and returns the readers the projections now satisfy.
    mutating func takeSatisfiedWaiters() -> [CheckedContinuation<Void, Never>] {
      let projected = projectedSeq
      defer { projectionWaiters.removeAll { $0.seq <= projected } }
      return projectionWaiters.filter { $0.seq <= projected }.map(\.continuation)
    }
  }

  private let queue: Mutex<Queue>
  private let wake = DispatchSemaphore(value: 0)
  private let core: WriterCore
  /// The core's projection writer, which any thread may ask (the core is the writer thread's).
  private let projections: ProjectionWriter
  private let batchCommandsMax: Int
  private let loneCallerSpinMax: Duration
  private let batchesCommitted = Atomic<Int>(0)
  private let commandsCommitted = Atomic<Int>(0)

  private let onBatchCommitted: (@Sendable (Int) -> Void)?
  private let onBatchAnswered: (@Sendable (BatchTimings) -> Void)?
  /// Closed by the checkpointer while it starts the WAL over: the writer waits before a batch.
  private let gate: CheckpointGate
  /// Makes batches durable and answers their callers; nil with `synchronous=normal`, where
  /// the writer answers right after the commit.
  private let syncer: Syncer?
  /// Balances for the ledger's readers, changed once a batch is durable.
  private let balances: DurableBalances

  init(
    core: WriterCore, databasePath: String, batchCommandsMax: Int, gate: CheckpointGate,
    balances: DurableBalances
  ) {
    self.core = core
    self.balances = balances
    self.gate = gate
    self.batchCommandsMax = batchCommandsMax
    loneCallerSpinMax = core.configuration.limits.loneCallerSpinMax
    onBatchCommitted = core.configuration.onBatchCommittedForTesting
    onBatchAnswered = core.configuration.onBatchAnswered
    let projections = core.projections
    self.projections = projections
    syncer =
      core.configuration.synchronous == .full
      ? Syncer(
        databasePath: databasePath, durableSeq: core.committedSeq, balances: balances,
        syncsInFlightMax: core.configuration.limits.syncsInFlightMax,
        answersLoneCallerEarly: core.configuration.limits.loneCallerSpinMax > .zero,
        batchScheduled: core.configuration.batchScheduledThreads,
        flush: core.configuration.flushForTesting ?? fdatasync,
        onAnswered: core.configuration.onBatchAnswered
      ) {
        projections.durable(through: $0)
      } : nil
    var initial = Queue()
    initial.committedSeq = core.committedSeq
    initial.projectedSeq = projections.projectedSeq
    queue = Mutex(initial)
    projections.start { [weak self] in self?.projected($0) }
    syncer?.setOnFailure { [weak self] in self?.flushFailed() }
    LedgerThread.start("ledger-writer", batch: core.configuration.batchScheduledThreads) {
      [self] in run()
    }
  }

  /// Runs `command` in a coming batch and returns its event once that batch is durable.
  func submit(
    _ command: Command, principal: Principal, idempotencyKey: String?
  ) async throws -> Answer {
    let answer = try await withCheckedThrowingContinuation { continuation in
      let request = Request(
        command: command, principal: principal, idempotencyKey: idempotencyKey,
        continuation: continuation, arrived: .now)
      enqueue(onClosed: { continuation.resume(throwing: LedgerError.closed) }) { $0.requests.append(request) }
    }
    try await answer.durability?.wait(spinMax: loneCallerSpinMax)
    return answer
  }

  /// Rebuilds the projections on their own thread while appends go on; returns events replayed.
  func rebuild(progress: ProgressHandler? = nil) async throws -> Int64 {
    guard !queue.withLock({ $0.closing }) else { throw LedgerError.closed }
    return try await projections.rebuild(progress: progress)
  }

  private func enqueue(onClosed: () -> Void, _ add: (inout Queue) -> Void) {
    let outcome: (accepted: Bool, wake: Bool) = queue.withLock { queue in
      guard !queue.closing else { return (false, false) }
      add(&queue)
      let wasSleeping = queue.sleeping
      queue.sleeping = false
      return (true, wasSleeping)
    }
    if !outcome.accepted { onClosed() }
    if outcome.wake { wake.signal() }
  }

  /// Returns once the projections hold every event committed before the call: how a read
  /// through the library sees the writes that were acknowledged before it.
  func waitForProjection() async {
    // After a failed fdatasync nothing more becomes durable, so nothing past the durable end
    // is projected: wait for that end (acknowledged writes are all before it).
    let durableEnd = syncer.flatMap { $0.failure != nil ? $0.durable : nil }
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      let ready = queue.withLock { queue in
        let target = min(queue.committedSeq, durableEnd ?? .max)
        if queue.projectedSeq >= target || queue.isStopped { return true }
        queue.projectionWaiters.append((target, continuation))
        return false
      }
      if ready { continuation.resume() } else { projections.request() }
    }
  }

  /// Batches and commands the writer has handled since it started.
  var statistics: WriterStatistics {
    let (depth, committed, projected) = queue.withLock {
      ($0.requests.count, $0.committedSeq, $0.projectedSeq)
    }
    let failures = projections.failures
    return WriterStatistics(
      batches: batchesCommitted.load(ordering: .relaxed),
      commands: commandsCommitted.load(ordering: .relaxed), queueDepth: depth,
      committedSeq: committed, projectedSeq: projected, durableSeq: syncer?.durable ?? committed,
      syncs: syncer?.syncCount ?? 0, projectionLag: projections.lag,
      projectionFailures: failures.count, projectionFailure: failures.last)
  }

  /// Stops taking commands, commits what is queued, catches the projections up, and returns
  /// when the thread is done.
  func close() async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      let (alreadyStopped, wakeThread) = queue.withLock { queue in
        queue.closing = true
        if queue.isStopped { return (true, false) }
        queue.stopped = continuation
        let wasSleeping = queue.sleeping
        queue.sleeping = false
        return (false, wasSleeping)
      }
      if wakeThread { wake.signal() }
      if alreadyStopped { continuation.resume() }
    }
  }

  private func run() {
    // After a batch of one command, an empty queue is looked at again for up to
    // `writerIdleSpinMax` before the thread parks: a lone caller answered a moment ago then
    // enqueues its next command without waking anyone. After a larger batch the thread parks
    // at once: several callers answered together come back over a few wake-ups' time, and
    // gathering them into one batch (one flush) is worth more — spinning after every batch
    // made batches of 3.7 instead of 4.2 at 8 callers, and 5% fewer deductions.
    let spinMax = core.configuration.limits.writerIdleSpinMax
    var idleSince: ContinuousClock.Instant?
    var lone = false
    while true {
      let park = !lone || spinMax == .zero || idleSince.map { $0.duration(to: .now) >= spinMax } ?? false
      guard let batch = nextBatch(park: park) else { break }
      if !batch.isEmpty {
        idleSince = nil
        lone = batch.count == 1
        commit(batch)
      } else if park {
        wake.wait()
        idleSince = nil
      } else if idleSince == nil {
        idleSince = .now
      }
    }
    syncer?.stop()
    if syncer?.failure == nil { core.projections.durable(through: core.committedSeq) }
    core.projections.stop()
    let (stopped, waiters) = queue.withLock { queue in
      queue.isStopped = true
      defer { queue.projectionWaiters.removeAll() }
      return (queue.stopped.take(), queue.projectionWaiters)
    }
    for waiter in waiters { waiter.continuation.resume() }
    stopped?.resume()
  }

  /// Commits one batch and hands its callers to the syncer (or answers them, without one).
  private func commit(_ batch: [Request]) {
    let started = ContinuousClock.now
    var replies: [Reply]
    var changes: DurableBalances.Changes = []
    if let failure = syncer?.failure {
      replies = batch.map { ($0.continuation, .failure(failure)) }
    } else {
      core.awaitProjections()
      gate.pass()
      (replies, changes) = core.commit(batch)
    }
    let committed = ContinuousClock.now
    onBatchCommitted?(batch.count)
    batchesCommitted.add(1, ordering: .relaxed)
    commandsCommitted.add(batch.count, ordering: .relaxed)
    publish()
    let timings = BatchTimings(
      commands: batch.count, queued: batch[0].arrived.duration(to: started),
      commit: started.duration(to: committed), syncWait: .zero, sync: .zero, answered: .zero)
    if let syncer {
      let synced = Syncer.Batch(
        replies: replies, lastSeq: core.committedSeq, balances: changes, committed: committed,
        timings: timings)
      // Nothing else to commit: sync here rather than hop to the syncer's thread and back
      // (two wake-ups, which on this VM cost more than the fdatasync). With commands waiting,
      // hand it over and commit them while it syncs.
      let idle = queue.withLock { $0.requests.isEmpty }
      if !idle || !syncer.syncInline(synced) {
        // The frames leave for the disk now, while a syncer thread wakes up (~50 µs here).
        syncer.startWriteback()
        syncer.acknowledge(synced)
      }
    } else {
      balances.apply(changes)
      for reply in replies { reply.continuation.resume(with: reply.result) }
      if let onBatchAnswered {
        var answered = timings
        answered.answer(committed: committed, at: .now)
        onBatchAnswered(answered)
      }
    }
  }

  /// Tells the queue how far the log has come.
  private func publish() {
    queue.withLock { $0.committedSeq = core.committedSeq }
  }

  /// The projections hold every event up to `seq`: resumes the readers that waited for it.
  private func projected(_ seq: Int64) {
    let ready = queue.withLock { queue in
      queue.projectedSeq = seq
      return queue.takeSatisfiedWaiters()
    }
    for continuation in ready { continuation.resume() }
  }

  /// A flush failed: nothing past the durable end will be projected, so readers waiting for
  /// more wait for that end instead (and those it already covers go now).
  private func flushFailed() {
    let durable = syncer?.durable ?? core.committedSeq
    let ready = queue.withLock { queue in
      queue.projectionWaiters = queue.projectionWaiters.map { (min($0.seq, durable), $0.continuation) }
      return queue.takeSatisfiedWaiters()
    }
    for continuation in ready { continuation.resume() }
  }

  /// The commands waiting, up to the batch limit: empty when there are none (with `park`,
  /// the thread then sleeps and the next command wakes it), nil when the thread should stop.
  private func nextBatch(park: Bool) -> [Request]? {
    queue.withLock { queue in
      if queue.requests.isEmpty {
        if queue.closing { return nil }
        queue.sleeping = park
        return []
      }
      if queue.requests.count <= batchCommandsMax {
        defer { queue.requests.removeAll(keepingCapacity: true) }
        return queue.requests
      }
      let batch = Array(queue.requests.prefix(batchCommandsMax))
      queue.requests.removeFirst(batchCommandsMax)
      return batch
    }
  }
}
