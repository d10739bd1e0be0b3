import Foundation
import GRDB
import Synchronization

/// The single writer: the only path that appends to the log.
///
/// Callers enqueue commands and suspend. One dedicated thread takes everything that is
/// waiting, checks each command against the balances it keeps in memory, and commits the lot
/// in one transaction: one fsync per batch (group commit), so the more callers wait, the more
/// each commit carries. A caller is resumed only after its batch is durable.
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
    var sleeping = false
    var closing = false
    var stopped: CheckedContinuation<Void, Never>?
    var isStopped = false
  }

  private let queue = Mutex(Queue())
  private let batchesCommitted = Atomic<Int>(0)
  private let commandsCommitted = Atomic<Int>(0)
  private let wake = DispatchSemaphore(value: 0)
  private let core: WriterCore
  private let batchCommandsMax: Int

  init(core: WriterCore, batchCommandsMax: Int) {
    self.core = core
    self.batchCommandsMax = batchCommandsMax
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
      let outcome: (accepted: Bool, wake: Bool) = queue.withLock { queue in
        guard !queue.closing else { return (false, false) }
        queue.requests.append(request)
        let wasSleeping = queue.sleeping
        queue.sleeping = false
        return (true, wasSleeping)
      }
      if !outcome.accepted { continuation.resume(throwing: LedgerError.closed) }
      if outcome.wake { wake.signal() }
    }
  }

  /// Commands waiting for the next batch.
  var queueDepth: Int { queue.withLock { $0.requests.count } }

  /// Batches and commands the writer has handled since it started.
  var statistics: WriterStatistics {
    WriterStatistics(
      batches: batchesCommitted.load(ordering: .relaxed),
      commands: commandsCommitted.load(ordering: .relaxed), queueDepth: queueDepth)
  }

  /// Stops taking commands, commits what is queued, and returns when the thread is done.
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
    while let batch = nextBatch() {
      if batch.isEmpty {
        wake.wait()
        continue
      }
      let results = core.commit(batch)
      batchesCommitted.add(1, ordering: .relaxed)
      commandsCommitted.add(batch.count, ordering: .relaxed)
      for (request, result) in zip(batch, results) { request.continuation.resume(with: result) }
    }
    let stopped = queue.withLock { queue in
      queue.isStopped = true
      return queue.stopped.take()
    }
    stopped?.resume()
  }

  /// What is waiting, up to the batch limit; empty when the thread should sleep; nil when it
  /// should stop (closing, and nothing left).
  private func nextBatch() -> [Request]? {
    queue.withLock { queue in
      if queue.requests.isEmpty {
        if queue.closing { return nil }
        queue.sleeping = true
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
