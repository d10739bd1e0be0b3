import CLedgerSQLite
import Foundation
import GRDB
import GRDBSQLite

/// The writer's state and rules. Touched only by the writer thread (hence `@unchecked`):
/// every balance lives here, so a check never waits on a read.
///
/// Each append batch is one transaction on the log, which the ``Syncer`` makes durable
/// before anyone is answered; its events then go to the ``ProjectionWriter``, which projects
/// them into the projections file on its own thread. The connection itself never fsyncs
/// (see ``connectionSynchronous``).
final class WriterCore: @unchecked Sendable {
  private let pool: DatabasePool
  let configuration: LedgerConfiguration
  var state: LedgerState
  /// Writes the projections file; the writer hands it every committed event.
  let projections: ProjectionWriter
  /// Reads the projections file, for the rare rules that need more than balances.
  let lookups: any DatabaseReader
  /// The sequence number the next event gets: the one a send's mail id carries (``MailID``).
  private(set) var nextSeq: Int64
  private var lastRecordedAt: Int64
  /// The last committed event's link of the hash chain, which the next append extends.
  private var head: ChainHash
  /// Each append's payload is encoded here, in a buffer kept from one event to the next: it
  /// keeps the room of the largest payload so far (bounded by ``Limits/contentBytesMax``).
  private var json = JSONText()

  init(
    pool: DatabasePool, configuration: LedgerConfiguration, state: LedgerState, db: Database,
    projections: ProjectionWriter, lookups: any DatabaseReader
  ) throws {
    self.pool = pool
    self.configuration = configuration
    self.state = state
    self.projections = projections
    self.lookups = lookups
    nextSeq = try EventLog.lastSeq(db) + 1
    lastRecordedAt = try EventLog.lastRecordedAt(db)
    head = try EventLog.head(db).hash
  }

  /// The last committed sequence number.
  var committedSeq: Int64 { nextSeq - 1 }

  /// Commits `batch` in one transaction and returns one reply per request, in order (its
  /// caller and its result: made here rather than paired up afterwards, which copied every
  /// result once more), and the balances the batch changed, for ``DurableBalances`` once it
  /// is durable. Rejections leave the rest of the batch alone; a storage failure fails the
  /// whole batch, and nothing of it is applied, in the file or in memory.
  func commit(_ batch: [Writer.Request]) -> (replies: [Writer.Reply], balances: DurableBalances.Changes) {
    var replies: [Writer.Reply] = []
    var appended: [Event] = []
    var undo = Undo(nextSeq: nextSeq, lastRecordedAt: lastRecordedAt, head: head)
    replies.reserveCapacity(batch.count)
    do {
      try pool.writeWithoutTransaction { db in
        try RawStatement.transaction(immediate: true, db) {
          let insert = try EventLog.appendStatement(db)
          for request in batch {
            do {
              let (event, isNew) = try handle(request, &undo, insert, db)
              if isNew { appended.append(event) }
              replies.append((request.continuation, .success(Writer.Answer(event: event, replayed: !isNew))))
            } catch let rejection as Rejection {
              replies.append((request.continuation, .failure(rejection)))
            }
          }
        }
      }
    } catch {
      roll(back: undo)
      let failure = LedgerError.storageFailure("the batch was not applied: \(error)")
      return (batch.map { ($0.continuation, .failure(failure)) }, [])
    }
    projections.append(appended)
    if configuration.synchronous == .normal { projections.durable(through: committedSeq) }
    return (replies, undo.balances.map { ($0.user, $0.after) })
  }

  /// What a batch changed in memory, to put back when its transaction rolls back.
  struct Undo {
    var nextSeq: Int64
    var lastRecordedAt: Int64
    var head: ChainHash
    /// Each appended event's user and credits before and after it, in commit order: the
    /// befores put back on a rollback, the afters for ``DurableBalances`` once durable.
    var balances: [(user: UUID, before: Int64?, after: Int64?)] = []
  }

  private func roll(back undo: Undo) {
    for change in undo.balances.reversed() { state.balances[change.user] = change.before }
    nextSeq = undo.nextSeq
    lastRecordedAt = undo.lastRecordedAt
    head = undo.head
  }

  /// Waits while ``Limits/projectionBacklogEventsMax`` events wait for the projections, or
  /// while they trail the log by more than ``Limits/projectionLagHoldMax`` and keep moving.
  func awaitProjections() {
    while projections.holdsWriter {
      projections.request()
      Thread.sleep(forTimeInterval: 0.002)
    }
  }

  /// SQLite's `synchronous` on the writer connection. With `.full` durability it is OFF: the
  /// ``Syncer`` fsyncs the WAL on its own thread before any caller is answered, so commits
  /// never wait for the disk on this thread. With `.normal`, NORMAL: no fsync at commit.
  static func connectionSynchronous(_ configuration: LedgerConfiguration) -> String {
    configuration.synchronous == .full ? "OFF" : "NORMAL"
  }

  /// Turns off, on the writer connection only, the log's CHECKs and triggers: they keep
  /// other programs from writing a bad row, or changing or deleting one, and still do. This
  /// connection binds only typed values (a kind from ``Event/Kind``, a `UUID`, a 32-byte
  /// ``ChainHash``) and never updates or deletes an event; the checks cost a third of its
  /// append (`kind IN (…)` built a temporary table of six rows for each event, and the hash
  /// trigger ran a sub-program and a statement journal).
  static func skipLogGuards(_ db: Database) throws {
    try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
    let code = ledger_sqlite3_db_config_int(
      UnsafeMutableRawPointer(db.sqliteConnection), SQLITE_DBCONFIG_ENABLE_TRIGGER, 0)
    guard code == SQLITE_OK else {
      throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot turn triggers off")
    }
  }

  /// One command: idempotency, the ledger's rules, then the append. Throws a ``Rejection``
  /// before writing anything, or a storage error. Returns the event and whether it is new.
  private func handle(
    _ request: Writer.Request, _ undo: inout Undo, _ insert: RawStatement, _ db: Database
  ) throws -> (
    Event, Bool
  ) {
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
    let (userID, body) = try decide(request.command, principal)
    let now = max(configuration.clock().millisecondsSince1970, lastRecordedAt)
    let event = Event(
      seq: nextSeq, userID: userID, recordedAt: Date(millisecondsSince1970: now),
      idempotencyKey: key, body: body)
    do {
      let (before, after) = try state.apply(event)
      undo.balances.append((userID, before, after))
    } catch {
      preconditionFailure("the writer made an event that breaks an invariant: \(error)")
    }
    head = try EventLog.append(event, after: head, encodingInto: &json, using: insert)
    nextSeq += 1
    lastRecordedAt = now
    return (event, true)
  }
}
