import Foundation
import GRDB
import Synchronization

/// The single writer: the only path that appends to the log.
///
/// Callers enqueue commands and suspend. One dedicated thread takes everything that is
/// waiting, checks each command against the balances it keeps in memory, and commits the lot
/// in one transaction: one fsync per batch (group commit), so the more callers wait, the more
/// each commit carries. A caller is resumed only after its batch is durable. Between batches
/// the same thread brings the projections up to the log, when the lag reaches its bound or
/// when there is nothing else to do.
///
/// A thread rather than an actor: the notes in `shared/notes/write-path.md` measured an
/// actor awaiting `pool.write` per batch at about half the throughput of a thread that owns
/// the loop.
final class Writer: Sendable {
  struct Request: Sendable {
    var command: Command
    var principal: Principal
    var idempotencyKey: String?
    var continuation: CheckedContinuation<Event, any Error>
  }

  private struct Queue: ~Copyable {
    var requests: [Request] = []
    var rebuilds: [RebuildRequest] = []
    var sleeping = false
    var closing = false
    var stopped: CheckedContinuation<Void, Never>?
    var isStopped = false
    var committedSeq: Int64 = 0
    var projectedSeq: Int64 = 0
    var projectionWaiters: [(seq: Int64, continuation: CheckedContinuation<Void, Never>)] = []
    /// A reader waits for the projections: catch up after the current batch, whatever the lag.
    var catchUpRequested = false
  }

  private let queue: Mutex<Queue>
  private let wake = DispatchSemaphore(value: 0)
  private let core: WriterCore
  private let batchCommandsMax: Int
  private let batchesCommitted = Atomic<Int>(0)
  private let commandsCommitted = Atomic<Int>(0)

  private let onBatchCommitted: (@Sendable (Int, Duration) -> Void)?
  /// Makes batches durable and answers their callers; nil with `synchronous=normal`, where
  /// the writer answers right after the commit.
  private let syncer: Syncer?

  init(
    core: WriterCore, databasePath: String, batchCommandsMax: Int,
    onBatchCommitted: (@Sendable (Int, Duration) -> Void)?
  ) {
    self.core = core
    self.batchCommandsMax = batchCommandsMax
    self.onBatchCommitted = onBatchCommitted
    syncer =
      core.configuration.synchronous == .full
      ? Syncer(databasePath: databasePath, durableSeq: core.committedSeq) : nil
    var initial = Queue()
    initial.committedSeq = core.committedSeq
    initial.projectedSeq = core.projectedSeq
    queue = Mutex(initial)
    let thread = Thread { [self] in run() }
    thread.name = "ledger-writer"
    thread.start()
  }

  /// Runs `command` in a coming batch and returns its event once that batch is durable.
  func submit(
    _ command: Command, principal: Principal, idempotencyKey: String?
  ) async throws -> Event {
    try await withCheckedThrowingContinuation { continuation in
      let request = Request(
        command: command, principal: principal, idempotencyKey: idempotencyKey,
        continuation: continuation)
      enqueue(onClosed: { continuation.resume(throwing: LedgerError.closed) }) { $0.requests.append(request) }
    }
  }

  /// A caller waiting for a rebuild, and who to tell how it goes.
  struct RebuildRequest {
    var continuation: CheckedContinuation<Int64, any Error>
    var progress: ProgressHandler?
  }

  /// Rebuilds the projections on the writer thread, between batches; returns events replayed.
  func rebuild(progress: ProgressHandler? = nil) async throws -> Int64 {
    try await withCheckedThrowingContinuation { continuation in
      enqueue(onClosed: { continuation.resume(throwing: LedgerError.closed) }) {
        $0.rebuilds.append(RebuildRequest(continuation: continuation, progress: progress))
      }
    }
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
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      let (ready, wakeThread) = queue.withLock { queue in
        if queue.projectedSeq >= queue.committedSeq || queue.isStopped { return (true, false) }
        queue.projectionWaiters.append((queue.committedSeq, continuation))
        queue.catchUpRequested = true
        let wasSleeping = queue.sleeping
        queue.sleeping = false
        return (false, wasSleeping)
      }
      if ready { continuation.resume() }
      if wakeThread { wake.signal() }
    }
  }

  /// Batches and commands the writer has handled since it started.
  var statistics: WriterStatistics {
    let (depth, committed, projected) = queue.withLock {
      ($0.requests.count, $0.committedSeq, $0.projectedSeq)
    }
    return WriterStatistics(
      batches: batchesCommitted.load(ordering: .relaxed),
      commands: commandsCommitted.load(ordering: .relaxed), queueDepth: depth,
      committedSeq: committed, projectedSeq: projected, durableSeq: syncer?.durable ?? committed,
      syncs: syncer?.syncCount ?? 0)
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
    while let work = nextWork() {
      if !work.batch.isEmpty { commit(work.batch) }
      if !work.rebuilds.isEmpty {
        let total = core.committedSeq
        let result = Result {
          try core.rebuild { done in
            for request in work.rebuilds {
              request.progress?(LedgerProgress(phase: "rebuild", done: done, total: total))
            }
          }
        }
        publish()
        for request in work.rebuilds { request.continuation.resume(with: result) }
      }
      // Catch-ups wait for their bound (or a reader) so that each one carries many events:
      // a catch-up rewrites every index page it touches, however few events touch it.
      if core.catchUpIsDue || work.catchUpRequested {
        catchUp()
      } else if work.batch.isEmpty && work.rebuilds.isEmpty {
        sleep()
      }
    }
    while core.catchUp() {}
    syncer?.stop()
    let (stopped, waiters) = queue.withLock { queue in
      queue.isStopped = true
      queue.projectedSeq = core.projectedSeq
      defer { queue.projectionWaiters.removeAll() }
      return (queue.stopped.take(), queue.projectionWaiters)
    }
    for waiter in waiters { waiter.continuation.resume() }
    stopped?.resume()
  }

  /// Commits one batch and hands its callers to the syncer (or answers them, without one).
  private func commit(_ batch: [Request]) {
    let started = ContinuousClock.now
    let results: [Result<Event, any Error>] =
      if let failure = syncer?.failure { batch.map { _ in .failure(failure) } } else { core.commit(batch) }
    onBatchCommitted?(batch.count, started.duration(to: .now))
    batchesCommitted.add(1, ordering: .relaxed)
    commandsCommitted.add(batch.count, ordering: .relaxed)
    publish()
    let answers = zip(batch, results).map { (continuation: $0.continuation, result: $1) }
    if let syncer {
      syncer.acknowledge(Syncer.Batch(answers: answers, lastSeq: core.committedSeq))
    } else {
      for answer in answers { answer.continuation.resume(with: answer.result) }
    }
  }

  /// Sleeps until a command comes, or until the pending events are due for their catch-up.
  private func sleep() {
    if let due = core.catchUpDueIn {
      let nanoseconds = due.components.seconds * 1_000_000_000 + due.components.attoseconds / 1_000_000_000
      _ = wake.wait(timeout: .now() + .nanoseconds(Int(nanoseconds)))
    } else {
      wake.wait()
    }
  }

  private func catchUp() {
    core.catchUp()
    publish()
  }

  /// Tells waiting readers how far the log and the projections have come.
  private func publish() {
    let ready = queue.withLock { queue in
      queue.committedSeq = core.committedSeq
      queue.projectedSeq = core.projectedSeq
      let projected = queue.projectedSeq
      let ready = queue.projectionWaiters.filter { $0.seq <= projected }
      queue.projectionWaiters.removeAll { $0.seq <= projected }
      // Readers still waiting keep the catch-ups coming, slice after slice.
      if !queue.projectionWaiters.isEmpty { queue.catchUpRequested = true }
      return ready
    }
    for waiter in ready { waiter.continuation.resume() }
  }

  private struct Work {
    var batch: [Request]
    var rebuilds: [RebuildRequest]
    var catchUpRequested: Bool
  }

  /// What is waiting: commands up to the batch limit, rebuilds, and whether a reader asked
  /// for the projections. Empty when there is nothing; nil when the thread should stop.
  private func nextWork() -> Work? {
    queue.withLock { queue in
      let requested = queue.catchUpRequested
      queue.catchUpRequested = false
      if queue.requests.isEmpty && queue.rebuilds.isEmpty {
        if queue.closing { return nil }
        // Marked asleep even when a catch-up comes first: a command that arrives meanwhile
        // must signal, or the thread would park with it in the queue.
        queue.sleeping = true
        return Work(batch: [], rebuilds: [], catchUpRequested: requested)
      }
      let rebuilds = queue.rebuilds
      queue.rebuilds.removeAll()
      if queue.requests.count <= batchCommandsMax {
        defer { queue.requests.removeAll(keepingCapacity: true) }
        return Work(batch: queue.requests, rebuilds: rebuilds, catchUpRequested: requested)
      }
      let batch = Array(queue.requests.prefix(batchCommandsMax))
      queue.requests.removeFirst(batchCommandsMax)
      return Work(batch: batch, rebuilds: rebuilds, catchUpRequested: requested)
    }
  }
}
