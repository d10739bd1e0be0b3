import Foundation
import GRDB
import Synchronization

/// Reads and decodes a run of the log on a thread of its own, a few chunks ahead of the
/// replay that writes them into the projections.
///
/// A replay (a rebuild, start-up after the projections were lost, verify) spent about a third
/// of its time stepping the log and decoding payloads, and the rest inserting rows: one
/// thread doing both left a core idle. This runs the first part on its own read-only
/// connection to the log file, so it must only be given events that are committed in that
/// file (a bound no later than the reader's own snapshot's end), never a log written in the
/// caller's open transaction.
final class EventReadAhead: Sendable {
  private enum Item {
    case chunk([Event])
    case end
    case failure(any Error)
  }

  private struct Channel: ~Copyable {
    var items: [Item] = []
    var cancelled = false
  }

  /// Chunks decoded but not taken yet, at most: bounds the memory a fast reader uses.
  private static let chunksAheadMax = 2

  private let channel = Mutex(Channel())
  private let filled = DispatchSemaphore(value: 0)
  /// Made at 0 and signalled up: libdispatch traps when a semaphore is freed below the
  /// value it was made with, which a replay that stops early leaves this one at.
  private let free = DispatchSemaphore(value: 0)
  private let finished = DispatchSemaphore(value: 0)

  /// Starts reading the events after `seq` through `throughSeq` from the log at `path`.
  init(path: String, after seq: Int64, through throughSeq: Int64, withContent: Bool, chunkEventsMax: Int) {
    for _ in 0..<Self.chunksAheadMax { free.signal() }
    // Always batch: readers start it too, with no configuration to ask.
    LedgerThread.start("ledger-read-ahead", batch: true) { [self] in
      defer { finished.signal() }
      do {
        var configuration = Storage.grdbConfiguration()
        configuration.readonly = true
        let log = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? log.close() }
        try log.read { db in
          var chunk: [Event] = []
          chunk.reserveCapacity(chunkEventsMax)
          try EventLog.forEach(after: seq, through: throughSeq, withContent: withContent, db) { event in
            chunk.append(event)
            if chunk.count == chunkEventsMax {
              try send(.chunk(chunk))
              chunk.removeAll(keepingCapacity: true)
            }
          }
          if !chunk.isEmpty { try send(.chunk(chunk)) }
        }
        try send(.end)
      } catch is CancellationError {
        return
      } catch {
        try? send(.failure(error))
      }
    }
  }

  /// The next chunk, oldest first; nil after the last. Rethrows what the reading failed with.
  func next() throws -> [Event]? {
    filled.wait()
    let item = channel.withLock { $0.items.removeFirst() }
    free.signal()
    switch item {
    case .chunk(let events): return events
    case .end: return nil
    case .failure(let error): throw error
    }
  }

  /// Stops the reading thread (the replay ended early) and waits for it to end.
  func cancel() {
    channel.withLock { $0.cancelled = true }
    free.signal()
    finished.wait()
  }

  /// Waits for the reading thread to end, after ``next()`` returned nil or threw.
  func join() {
    finished.wait()
  }

  private func send(_ item: Item) throws {
    // Checked before waiting too: once cancelled, at most one wait (the one `cancel` wakes).
    if channel.withLock({ $0.cancelled }) { throw CancellationError() }
    free.wait()
    let cancelled = channel.withLock { channel in
      if !channel.cancelled { channel.items.append(item) }
      return channel.cancelled
    }
    if cancelled { throw CancellationError() }
    filled.signal()
  }
}
