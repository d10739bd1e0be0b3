import Foundation
import Synchronization

/// Lets the checkpointer hold the writer back for one RESTART checkpoint.
///
/// A RESTART checkpoint needs the log's write lock, and a writer under full load frees it
/// only for microseconds between batches: SQLite's busy handler, which polls with sleeps,
/// never caught it (the WAL reached 188 MB at 256 callers). So the checkpointer closes this
/// gate, the writer waits at it before its next batch, and the checkpointer opens it again
/// as soon as its checkpoint returns: a pause of a few milliseconds once per WAL's length.
final class CheckpointGate: Sendable {
  private struct State: ~Copyable {
    var closed = false
    var writerWaiting = false
  }

  private let state = Mutex(State())
  private let opened = DispatchSemaphore(value: 0)
  private let parked = DispatchSemaphore(value: 0)

  /// Called by the checkpointer: the writer stops before its next batch until ``open()``.
  /// Returns once the writer waits at the gate, so the write lock is free without SQLite's
  /// busy handler polling for it (its first retry sleeps a millisecond, its next ones more),
  /// or after `timeout` (an idle writer never comes: its lock is free anyway).
  func close(timeout: Duration) {
    // A signal left by a writer that parked after an earlier close timed out.
    while parked.wait(timeout: .now()) == .success {}
    state.withLock { $0.closed = true }
    let nanoseconds =
      Int(timeout.components.seconds) * 1_000_000_000
      + Int(timeout.components.attoseconds / 1_000_000_000)
    _ = parked.wait(timeout: .now() + .nanoseconds(nanoseconds))
  }

  /// Called by the checkpointer when its checkpoint returned, however it went.
  func open() {
    let waiting = state.withLock { state in
      state.closed = false
      defer { state.writerWaiting = false }
      return state.writerWaiting
    }
    if waiting { opened.signal() }
  }

  /// Called by the writer before each batch: returns at once unless the gate is closed.
  func pass() {
    let wait = state.withLock { state in
      if state.closed { state.writerWaiting = true }
      return state.closed
    }
    if wait {
      parked.signal()
      opened.wait()
    }
  }
}
