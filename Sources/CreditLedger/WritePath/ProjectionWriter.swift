import Foundation
import GRDB
import Synchronization

/// Writes the projections file (``ProjectionStore``) on a thread of its own, in step behind
/// the log, so that a deduction never waits for a projection.
///
/// The writer hands over each batch's events once they are committed; the ``Syncer`` (or,
/// without one, the writer) says when they are durable. Only durable events are projected,
/// so the projections file is never ahead of the log, whatever crashes. A catch-up takes
/// every durable event waiting (at most ``Limits/projectionBatchEventsMax``), and starts
/// ``Limits/projectionLagMax`` after the previous one began, at once if that one took
/// longer, or when a reader waits for its own writes. Under load the catch-ups grow, and
/// each index page they rewrite carries more events; the lag stays about two catch-ups.
///
/// A catch-up that fails (a full disk) leaves its events queued and is retried; the writer
/// stops appending while ``Limits/projectionBacklogEventsMax`` events wait, so memory stays bounded.
final class ProjectionWriter: Sendable {
  private struct State: ~Copyable {
    /// Committed events not projected yet, oldest first.
    var events: [Event] = []
    /// When each batch among `events` was handed over (committed): its last event and the
    /// time, oldest first. The first says how long the projections have trailed the log.
    var handedOver: [(lastSeq: Int64, at: ContinuousClock.Instant)] = []
    /// When the last catch-up (or rebuild) committed.
    var lastCommit = ContinuousClock.now
    var durableSeq: Int64
    /// When the last catch-up began.
    var lastStart = ContinuousClock.now
    var requested = false
    var rebuilds: [Rebuild] = []
    var sleeping = false
    /// The sleep ends by itself when the lag bound is up: events are waiting.
    var sleepingTimed = false
    var stopping = false
    /// The thread has ended: a rebuild asked for now would never run.
    var finished = false
    /// Catch-ups that failed since the ledger opened.
    var failures = 0
    /// Why the last catch-up failed; nil once one commits.
    var failure: String?

    /// Drops the events up to `seq`, and their batches' times: the projections hold them.
    mutating func forget(through seq: Int64) {
      events.removeFirst(events.prefix { $0.seq <= seq }.count)
      handedOver.removeFirst(handedOver.prefix { $0.lastSeq <= seq }.count)
      lastCommit = .now
      failure = nil
    }
  }

  private struct Rebuild {
    var continuation: CheckedContinuation<Int64, any Error>
    var progress: ProgressHandler?
  }

  private enum Work {
    case project([Event])
    case rebuild([Rebuild], through: Int64)
    case sleep(Duration?)
    case stop
  }

  private let state: Mutex<State>
  private let wake = DispatchSemaphore(value: 0)
  private let stopped = DispatchSemaphore(value: 0)
  private let store: DatabaseQueue
  /// The log's file, which a rebuild reads on a thread of its own (``EventReadAhead``).
  private let logPath: String
  private let limits: Limits
  private let batchScheduled: Bool
  private let projected: Atomic<Int64>
  private let listener = Mutex<(@Sendable (Int64) -> Void)?>(nil)

  /// Takes over `store`, whose projections hold every event up to `projectedSeq` of the log
  /// at `logPath`.
  init(
    store: DatabaseQueue, logPath: String, projectedSeq: Int64, limits: Limits, batchScheduled: Bool
  ) {
    self.store = store
    self.logPath = logPath
    self.limits = limits
    self.batchScheduled = batchScheduled
    projected = Atomic(projectedSeq)
    state = Mutex(State(durableSeq: projectedSeq))
  }

  /// Starts the thread; `onProjected` hears each new projected sequence number.
  func start(onProjected: @escaping @Sendable (Int64) -> Void) {
    listener.withLock { $0 = onProjected }
    LedgerThread.start("ledger-projections", batch: batchScheduled) { [self] in run() }
  }

  /// The last sequence number the projections file holds, committed.
  var projectedSeq: Int64 { projected.load(ordering: .acquiring) }

  /// The committed events the projections file does not hold yet, oldest first: what the
  /// writer's rules that read the file (refunds, signups with a chosen id) fold in. An event
  /// leaves this list only after its catch-up commits, so a read of the file that starts
  /// after taking the list misses none.
  var unprojected: [Event] { state.withLock { $0.events } }

  /// How long the oldest committed event the projections do not hold has waited since its
  /// batch committed; zero when they hold every one. Read at any moment, it is the lag a
  /// reader of the projections sees then, whoever asks and however late.
  var lag: Duration {
    let since = state.withLock { $0.handedOver.first?.at }
    return since.map { $0.duration(to: .now) } ?? .zero
  }

  /// Catch-ups that failed since the ledger opened, and why the last one did while none has
  /// committed since (nil then): a catch-up that fails is retried every 50 ms, and only this
  /// and the lag tell an operator that the projections are stuck.
  var failures: (count: Int, last: String?) {
    state.withLock { ($0.failures, $0.failure) }
  }

  /// Whether the writer should hold its next batch: ``Limits/projectionBacklogEventsMax``
  /// committed events wait, or the projections trail the log by more than
  /// ``Limits/projectionLagHoldMax`` while they keep committing (one did within four times
  /// that). Held, the writer leaves the cores to them; projections that stopped (a lock held
  /// from outside, a full disk) hold deductions only at the backlog bound. One look under the
  /// lock, once per batch.
  var holdsWriter: Bool {
    let now = ContinuousClock.now
    let (backlogMax, lagMax) = (limits.projectionBacklogEventsMax, limits.projectionLagHoldMax)
    return state.withLock { state in
      if state.events.count >= backlogMax { return true }
      guard let oldest = state.handedOver.first else { return false }
      return oldest.at.duration(to: now) > lagMax && state.lastCommit.duration(to: now) < lagMax * 4
    }
  }

  /// Hands over a committed batch's new events, in order.
  func append(_ events: [Event]) {
    guard let last = events.last else { return }
    let now = ContinuousClock.now
    state.withLock { state in
      state.events.append(contentsOf: events)
      state.handedOver.append((last.seq, now))
    }
  }

  /// Every event up to `seq` is durable now: it may be projected.
  ///
  /// A thread in a timed sleep is left to it unless a full catch-up waits: it wakes within the
  /// lag bound anyway. Woken for every batch, it cost the committing thread a futex wake per
  /// commit — a seventh of the writer's time with one caller — and itself a wake-up to sleep
  /// again.
  func durable(through seq: Int64) {
    let batchEventsMax = limits.projectionBatchEventsMax
    changeAndWake(
      { $0.durableSeq = max($0.durableSeq, seq) },
      wakingIf: { !$0.sleepingTimed || $0.events.count >= batchEventsMax })
  }

  /// A reader waits for the projections: catch up now, whatever the lag.
  func request() {
    changeAndWake { $0.requested = true }
  }

  /// Replays the log, up to its durable end, into new projection tables in one transaction,
  /// while the writer goes on appending; readers see the old tables until it commits.
  /// Returns the events replayed.
  func rebuild(progress: ProgressHandler?) async throws -> Int64 {
    try await withCheckedThrowingContinuation { continuation in
      var refused = false
      changeAndWake { state in
        refused = state.finished || state.stopping
        if !refused { state.rebuilds.append(Rebuild(continuation: continuation, progress: progress)) }
      }
      if refused { continuation.resume(throwing: LedgerError.closed) }
    }
  }

  /// Changes the state and wakes the thread if it sleeps (it reads the state when it wakes)
  /// and `matters` says the changed state is worth waking it for.
  private func changeAndWake(
    _ change: (inout State) -> Void, wakingIf matters: (borrowing State) -> Bool = { _ in true }
  ) {
    let wasSleeping = state.withLock { state in
      change(&state)
      guard state.sleeping, matters(state) else { return false }
      state.sleeping = false
      return true
    }
    if wasSleeping { wake.signal() }
  }

  /// Projects every durable event, ends the thread, and closes the projections file.
  func stop() {
    state.withLock { $0.stopping = true }
    wake.signal()
    stopped.wait()
    try? store.writeWithoutTransaction { try ProjectionStore.closeCleanly($0) }
    try? store.close()
  }

  private func run() {
    defer { stopped.signal() }
    // This thread alone writes the file: what it wrote last is known here.
    let fresh = Projector.ProfileUpdates(knownUsersMax: limits.projectionKnownUsersMax)
    var updates = fresh
    while true {
      switch nextWork() {
      case .project(let events):
        guard let failure = project(events, &updates) else {
          publish(events.last!.seq)
          continue
        }
        let stopping = state.withLock { state in
          state.failures += 1
          state.failure = failure
          return state.stopping
        }
        // Closing: the next writer projects them from the log.
        if stopping { return finish() }
        // Kept queued; a full disk or a lock held from outside may pass. What the failed
        // catch-up noted was rolled back.
        updates = fresh
        _ = wake.wait(timeout: .now() + .milliseconds(50))
      case .rebuild(let requests, let through):
        updates = fresh
        let result = Result { try rebuild(through: through, requests) }
        if case .success = result { publish(through) }
        for request in requests { request.continuation.resume(with: result) }
      case .sleep(let timeout):
        if let timeout {
          _ = wake.wait(timeout: .now() + .nanoseconds(Int(timeout / .nanoseconds(1))))
        } else {
          wake.wait()
        }
      case .stop:
        return finish()
      }
    }
  }

  /// Ends the thread; a rebuild that slipped in as it stopped is told the ledger closed.
  private func finish() {
    let orphans = state.withLock { state in
      state.finished = true
      defer { state.rebuilds.removeAll() }
      return state.rebuilds
    }
    for request in orphans { request.continuation.resume(throwing: LedgerError.closed) }
  }

  /// What to do next, decided under the lock.
  private func nextWork() -> Work {
    state.withLock { state in
      if !state.rebuilds.isEmpty {
        defer { state.rebuilds.removeAll() }
        return .rebuild(state.rebuilds, through: state.durableSeq)
      }
      let durable = state.durableSeq
      let ready = state.events.prefix { $0.seq <= durable }.count
      let now = ContinuousClock.now
      let waited = state.lastStart.duration(to: now)
      if ready > 0
        && (state.stopping || state.requested || ready >= limits.projectionBatchEventsMax
          || waited >= limits.projectionLagMax)
      {
        let count = min(ready, limits.projectionBatchEventsMax)
        if count == ready { state.requested = false }
        state.lastStart = now
        return .project(Array(state.events.prefix(count)))
      }
      if state.stopping { return .stop }
      state.sleeping = true
      state.sleepingTimed = ready > 0
      return .sleep(ready > 0 ? limits.projectionLagMax - waited : nil)
    }
  }

  /// One catch-up transaction; the events leave the queue once it commits. Returns why it
  /// failed, or nil.
  private func project(_ events: [Event], _ updates: inout Projector.ProfileUpdates) -> String? {
    do {
      try store.writeWithoutTransaction { db in
        try RawStatement.transaction(immediate: false, db) {
          try Projector.apply(events, db, updates: &updates)
          try ProjectionStore.noteCheckpoint(db)
        }
      }
    } catch {
      return "\(error)"
    }
    committed(through: events.last!.seq)
    return nil
  }

  private func rebuild(through seq: Int64, _ requests: [Rebuild]) throws -> Int64 {
    let count = try store.writeWithoutTransaction { db in
      var count: Int64 = 0
      try db.inTransaction(.deferred) {
        count = try Projector.rebuild(
          db, withView: false, through: seq, chunkEventsMax: limits.replayChunkEventsMax,
          readingLogAt: logPath
        ) { done in
          for request in requests {
            request.progress?(LedgerProgress(phase: "rebuild", done: done, total: seq))
          }
        }.events
        try ProjectionStore.noteCheckpoint(db)
        return .commit
      }
      return count
    }
    committed(through: seq)
    return count
  }

  /// The file holds every event up to `seq`, committed. The sequence number is stored before
  /// the events leave the queue: whoever sees the lag gone (the writer's hold) then sees
  /// ``projectedSeq`` at `seq` or past it.
  private func committed(through seq: Int64) {
    projected.store(seq, ordering: .releasing)
    state.withLock { $0.forget(through: seq) }
  }

  private func publish(_ seq: Int64) {
    listener.withLock { $0 }?(seq)
  }
}
