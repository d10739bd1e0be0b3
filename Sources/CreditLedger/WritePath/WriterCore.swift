import Foundation
import GRDB

/// The writer's state and rules. Touched only by the writer thread (hence `@unchecked`):
/// every balance lives here, so a check never waits on a read.
///
/// Two kinds of transaction, both on this thread: an append batch, which a caller waits on
/// and which the ``Syncer`` makes durable before anyone is answered; and a projection
/// catch-up, which applies the events appended since the last one and needs no fsync of its
/// own: a crash loses it together with its checkpoint, and start-up replays it. The
/// connection itself never fsyncs (see ``connectionSynchronous``).
final class WriterCore: @unchecked Sendable {
  private let pool: DatabasePool
  let configuration: LedgerConfiguration
  var state: LedgerState
  private var nextSeq: Int64
  private var lastRecordedAt: Int64
  /// The last committed event's link of the hash chain, which the next append extends.
  private var head: ChainHash
  /// Committed events the projections do not have yet, oldest first.
  private var pending: [Event] = []
  private var oldestPendingSince: ContinuousClock.Instant?
  /// Set when an append batch rolled back: memory may be ahead of the file until reloaded.
  private var needsReload = false

  init(pool: DatabasePool, configuration: LedgerConfiguration, state: LedgerState, db: Database) throws {
    self.pool = pool
    self.configuration = configuration
    self.state = state
    nextSeq = try EventLog.lastSeq(db) + 1
    lastRecordedAt = try EventLog.lastRecordedAt(db)
    head = try EventLog.head(db).hash
  }

  /// The last committed sequence number.
  var committedSeq: Int64 { nextSeq - 1 }
  /// The last sequence number the projections hold.
  var projectedSeq: Int64 { nextSeq - 1 - Int64(pending.count) }

  /// Commits `batch` in one transaction and returns one result per request, in order.
  /// Rejections leave the rest of the batch alone; a storage failure fails the whole batch,
  /// and nothing of it is applied.
  func commit(_ batch: [Writer.Request]) -> [Result<Event, any Error>] {
    var results: [Result<Event, any Error>] = []
    var appended: [Event] = []
    results.reserveCapacity(batch.count)
    do {
      try pool.writeWithoutTransaction { db in
        try db.inTransaction(.immediate) {
          if needsReload { try reload(db) }
          for request in batch {
            do {
              let (event, isNew) = try handle(request, db)
              if isNew { appended.append(event) }
              results.append(.success(event))
            } catch let rejection as Rejection {
              results.append(.failure(rejection))
            }
          }
          return .commit
        }
      }
    } catch {
      needsReload = true
      let failure = LedgerError.storageFailure(String(describing: error))
      return batch.map { _ in .failure(failure) }
    }
    if !appended.isEmpty {
      if pending.isEmpty { oldestPendingSince = .now }
      pending.append(contentsOf: appended)
    }
    return results
  }

  /// Whether the projections should catch up now: the lag is at its bound in events or time.
  var catchUpIsDue: Bool {
    guard let since = oldestPendingSince, !pending.isEmpty else { return false }
    return pending.count >= configuration.limits.projectionBatchEventsMax
      || since.duration(to: .now) >= configuration.limits.projectionLagMax
  }

  var hasPending: Bool { !pending.isEmpty }

  /// How long until the pending events are due for a catch-up; nil when none are pending.
  var catchUpDueIn: Duration? {
    guard let since = oldestPendingSince, !pending.isEmpty else { return nil }
    return max(.zero, configuration.limits.projectionLagMax - since.duration(to: .now))
  }

  /// Projects the oldest pending events, at most ``Limits/projectionSliceEventsMax`` of them,
  /// in a transaction of its own without an fsync: the writer commits waiting batches between
  /// slices, so a catch-up never holds callers for long. On failure the events stay pending
  /// and the next catch-up tries again. Returns whether it projected anything.
  @discardableResult
  func catchUp() -> Bool {
    guard !pending.isEmpty else { return false }
    let slice = Array(pending.prefix(configuration.limits.projectionSliceEventsMax))
    do {
      try pool.writeWithoutTransaction { db in
        try db.inTransaction(.immediate) {
          try Projector.apply(slice, db)
          return .commit
        }
      }
      pending.removeFirst(slice.count)
      oldestPendingSince = pending.isEmpty ? nil : oldestPendingSince
      return true
    } catch {
      // Left pending: reads wait, appends go on, and the next catch-up retries.
      return false
    }
  }

  /// Replays the whole log into new projections, in one transaction; checks that the replay
  /// agrees with the writer's balances.
  func rebuild(progress: @escaping (Int64) -> Void) throws -> Int64 {
    var count: Int64 = 0
    try pool.writeWithoutTransaction { db in
      try db.inTransaction(.immediate) {
        if needsReload { try reload(db) }
        let (replayed, rebuilt) = try Projector.rebuild(db, progress: progress)
        precondition(
          rebuilt.balances == state.balances, "the log replays to other balances than the writer's")
        count = replayed
        return .commit
      }
    }
    pending.removeAll(keepingCapacity: true)
    oldestPendingSince = nil
    return count
  }

  /// SQLite's `synchronous` on the writer connection. With `.full` durability it is OFF: the
  /// ``Syncer`` fsyncs the WAL on its own thread before any caller is answered, so commits
  /// never wait for the disk on this thread. With `.normal`, NORMAL: no fsync at commit.
  static func connectionSynchronous(_ configuration: LedgerConfiguration) -> String {
    configuration.synchronous == .full ? "OFF" : "NORMAL"
  }

  /// Projects what is pending inside the current append transaction: for the rare commands
  /// whose rules read the projections (refunds, signups with a chosen id).
  func projectPending(_ db: Database) throws {
    guard !pending.isEmpty else { return }
    try Projector.apply(pending, db)
    pending.removeAll(keepingCapacity: true)
    oldestPendingSince = nil
  }

  private func reload(_ db: Database) throws {
    var replay = try Projector.loadState(db)
    try Projector.catchUp(&replay, db)
    state = try Projector.loadState(db)
    nextSeq = try EventLog.lastSeq(db) + 1
    lastRecordedAt = try EventLog.lastRecordedAt(db)
    head = try EventLog.head(db).hash
    pending.removeAll(keepingCapacity: true)
    oldestPendingSince = nil
    needsReload = false
  }

  /// One command: idempotency, the ledger's rules, then the append. Throws a ``Rejection``
  /// before writing anything, or a storage error. Returns the event and whether it is new.
  private func handle(_ request: Writer.Request, _ db: Database) throws -> (Event, Bool) {
    // Permission and input shape were checked before the command was queued
    // (Ledger.execute); what is left depends on the ledger's state.
    let principal = request.principal
    let key = request.idempotencyKey.map { principal.idempotencyNamespace + $0 }
    if let key, let prior = try EventLog.event(idempotencyKey: key, db) {
      guard request.command.matches(prior) else {
        throw Rejection.idempotencyKeyReused(request.idempotencyKey ?? key)
      }
      return (prior, false)
    }
    let (userID, body) = try decide(request.command, principal, db)
    let now = max(configuration.clock().millisecondsSince1970, lastRecordedAt)
    let event = Event(
      seq: nextSeq, userID: userID, recordedAt: Date(millisecondsSince1970: now),
      idempotencyKey: key, body: body)
    do {
      try state.apply(event)
    } catch {
      preconditionFailure("the writer made an event that breaks an invariant: \(error)")
    }
    head = try EventLog.append(event, after: head, db)
    nextSeq += 1
    lastRecordedAt = now
    return (event, true)
  }
}
