import CLedgerSQLite
import Foundation
import GRDBSQLite
import Synchronization

/// Copies committed WAL pages back into the database file on a thread and connection of its
/// own, so that the writer never stops to do it.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold: on the
/// writer thread, with the caller waiting, copying megabytes and fsyncing the database file.
/// The writer's automatic checkpoint is turned off; this thread runs PASSIVE checkpoints,
/// which never block the writer or readers, every `interval`: a quarter of a second. (A
/// second, while the projections shared the log's file, made a projection page rewritten by
/// many catch-ups reach the file once; the log's own pages are appended, copied once however
/// often. With the quarter, the WAL starts over four times as often and stays ~4 times
/// shorter: in alternating runs ahead in 12 of 15 at 32 callers and 6 of 7 at 256, with
/// ~1–2 µs less CPU a deduction and shorter `fdatasync`s, 0.18–0.20 against 0.20–0.24 ms.)
///
/// A PASSIVE checkpoint never catches up with a writer that commits all the time, and SQLite
/// only starts the WAL over at a commit that finds every frame copied: under steady load the
/// WAL grew without end (82 MB in 8 s at one caller), and every `fdatasync` of a growing file
/// also flushed its new size, doubling its cost. So once the WAL is
/// ``Limits/walBytesMax`` long, a RESTART checkpoint follows the PASSIVE one: it holds the
/// writer back (``CheckpointGate``) for the few frames left to copy and a sync, and the next
/// commit writes from the WAL's start again, over blocks the file already has.
///
/// A checkpoint's copy goes to the disk in steps of ``Limits/checkpointWriteBackStepBytes``
/// (`LedgerVFS.c`), this thread waiting for each: sent all at once by the closing `fsync`, it
/// stalled the `fdatasync` of every batch behind it.
final class Checkpointer: Sendable {
  private struct State: ~Copyable {
    var stopping = false
  }

  private let state = Mutex(State())
  private let stopped = DispatchSemaphore(value: 0)
  /// Ends the wait between checkpoints early when the ledger closes: `stop()` runs on a
  /// caller's task and must not hold its thread for an interval.
  private let wake = DispatchSemaphore(value: 0)
  private let path: String
  private let interval: TimeInterval
  private let walBytesMax: Int64
  private let writeBackStepBytes: Int64
  private let gate: CheckpointGate

  init(
    path: String, walBytesMax: Int64, writeBackStepBytes: Int64, gate: CheckpointGate,
    batchScheduled: Bool, interval: TimeInterval = 0.25
  ) {
    self.path = path
    self.walBytesMax = walBytesMax
    self.writeBackStepBytes = writeBackStepBytes
    self.gate = gate
    self.interval = interval
    LedgerThread.start("ledger-checkpointer", batch: batchScheduled) { [self] in run() }
  }

  /// Stops the thread after its current checkpoint, without waiting out the interval.
  func stop() {
    state.withLock { $0.stopping = true }
    wake.signal()
    stopped.wait()
  }

  /// Starts the WAL over: PASSIVE passes until one finds few new frames, then the RESTART
  /// itself. At 256 callers a pass over a second of writes took 100 ms, and copying and
  /// syncing the frames appended meanwhile, with the writer held back, paused it 30–45 ms;
  /// after a second pass the pause is 3–8 ms.
  private func restart(_ connection: OpaquePointer?) {
    var copied: Int32 = 0
    for _ in 0..<8 {
      var total: Int32 = 0
      var done: Int32 = 0
      guard sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, &total, &done) == SQLITE_OK
      else { break }
      defer { copied = done }
      if done - copied < Self.restartFramesMax { break }
    }
    // The writer waits before its next batch; the readers get at most this long to finish
    // with the WAL (busy: next time).
    sqlite3_busy_timeout(connection, 50)
    gate.close(timeout: .milliseconds(20))
    sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_RESTART, nil, nil)
    gate.open()
    sqlite3_busy_timeout(connection, 1000)
  }

  /// New frames a PASSIVE pass may find and still be the last before the RESTART.
  private static let restartFramesMax: Int32 = 512

  private func run() {
    var connection: OpaquePointer?
    defer {
      sqlite3_close_v2(connection)
      stopped.signal()
    }
    // Through the ledger's VFS where it is registered: it writes the pages a checkpoint
    // copies in runs instead of a page a call (LedgerVFS.c).
    let vfs = Storage.gatheredWALWrites ? LEDGER_SQLITE_VFS_NAME : nil
    guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, vfs) == SQLITE_OK
    else { return }
    sqlite3_busy_timeout(connection, 1000)
    // The writer's connection never fsyncs (the Syncer does): checkpoints must. FULL syncs the
    // WAL before copying it and the file before the WAL can be reused.
    sqlite3_exec(connection, "PRAGMA synchronous = FULL", nil, nil, nil)
    if writeBackStepBytes > 0 {
      _ = ledger_sqlite3_vfs_write_back_checkpoints(UnsafeMutableRawPointer(connection), writeBackStepBytes)
    }
    while !state.withLock({ $0.stopping }) {
      if wake.wait(timeout: .now() + interval) == .success { break }
      // A PASSIVE checkpoint with no pages to copy only reads the WAL index: cheap to poll.
      sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
      if LedgerReader.fileSize(path + "-wal") >= walBytesMax { restart(connection) }
    }
  }
}
