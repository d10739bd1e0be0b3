import Foundation
import GRDB

/// The writer's state and rules. Touched only by the writer thread (hence `@unchecked`):
/// every balance lives here, so a check never waits on a read.
final class WriterCore: @unchecked Sendable {
  private let pool: DatabasePool
  private let configuration: LedgerConfiguration
  private var state: LedgerState
  private var nextSeq: Int64
  private var lastRecordedAt: Int64
  /// Set when a batch rolled back: memory may be ahead of the file until reloaded.
  private var needsReload = false

  init(pool: DatabasePool, configuration: LedgerConfiguration, state: LedgerState, db: Database) throws {
    self.pool = pool
    self.configuration = configuration
    self.state = state
    nextSeq = try EventLog.lastSeq(db) + 1
    lastRecordedAt = try EventLog.lastRecordedAt(db)
  }

  /// Commits `batch` in one transaction and returns one result per request, in order.
  /// Rejections leave the rest of the batch alone; a storage failure fails the whole batch,
  /// and nothing of it is applied.
  func commit(_ batch: [Writer.Request]) -> [Result<Event, any Error>] {
    var results: [Result<Event, any Error>] = []
    results.reserveCapacity(batch.count)
    do {
      try pool.writeWithoutTransaction { db in
        try db.inTransaction(.immediate) {
          if needsReload { try reload(db) }
          let firstSeq = nextSeq
          for request in batch {
            do {
              results.append(.success(try handle(request, db)))
            } catch let rejection as Rejection {
              results.append(.failure(rejection))
            }
          }
          if nextSeq > firstSeq { try Projector.setCheckpoint(nextSeq - 1, db) }
          return .commit
        }
      }
      return results
    } catch {
      needsReload = true
      let failure = LedgerError.storageFailure(String(describing: error))
      return batch.map { _ in .failure(failure) }
    }
  }

  private func reload(_ db: Database) throws {
    state = try Projector.loadState(db)
    nextSeq = try EventLog.lastSeq(db) + 1
    lastRecordedAt = try EventLog.lastRecordedAt(db)
    needsReload = false
  }

  /// One command: idempotency, the ledger's rules, then the append and its
  /// projection. Throws a ``Rejection`` before writing anything, or a storage error.
  private func handle(_ request: Writer.Request, _ db: Database) throws -> Event {
    // Permission and input shape were checked before the command was queued
    // (Ledger.execute); what is left depends on the ledger's state.
    let principal = request.principal
    let key = request.idempotencyKey.map { principal.idempotencyNamespace + $0 }
    if let key, let prior = try EventLog.event(idempotencyKey: key, db) {
      guard request.command.matches(prior) else {
        throw Rejection.idempotencyKeyReused(request.idempotencyKey ?? key)
      }
      return prior
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
    try EventLog.append(event, db)
    try Projector.apply(event, db)
    nextSeq += 1
    lastRecordedAt = now
    return event
  }

  /// The checks that depend on the ledger's state, in the order of ``Rejection``'s precedence.
  private func decide(
    _ command: Command, _ principal: Principal, _ db: Database
  ) throws -> (UUID, Event.Body) {
    let limits = configuration.limits
    switch command {
    case .signUp(let email, let requestedID, let credits):
      let userID = requestedID ?? configuration.makeID()
      if try state.balances[userID] != nil || EventLog.hasEvents(userID: userID, db) {
        throw Rejection.userAlreadyExists(userID)
      }
      return (userID, .userSignedUp(email: email, credits: credits ?? configuration.startingCredits))
    case .grant(let userID, let credits, let reason):
      let balance = try liveBalance(of: userID, principal)
      guard balance + credits <= limits.creditsBalanceMax else {
        throw Rejection.creditsBalanceLimitExceeded(currentCredits: balance)
      }
      return (userID, .creditsGranted(credits: credits, reason: reason, creditsAfter: balance + credits))
    case .send(let send):
      let balance = try liveBalance(of: send.userID, principal)
      guard balance >= send.credits else {
        throw Rejection.insufficientCredits(currentCredits: balance)
      }
      let mail = Event.Mail(
        id: configuration.makeID(), recipientEmail: send.recipientEmail, subject: send.subject,
        content: send.content, mailType: send.mailType, creditsUsed: send.credits)
      return (send.userID, .mailSent(mail, creditsAfter: balance - send.credits))
    case .refund(let mailID, let credits):
      return try decideRefund(mailID: mailID, credits: credits, principal, db)
    case .changeEmail(let userID, let email):
      _ = try liveBalance(of: userID, principal)
      return (userID, .emailChanged(email: email))
    case .deleteUser(let userID):
      _ = try liveBalance(of: userID, principal)
      return (userID, .userDeleted)
    }
  }

  private func decideRefund(
    mailID: UUID, credits: Int64?, _ principal: Principal, _ db: Database
  ) throws -> (UUID, Event.Body) {
    let row = try Row.fetchOne(
      db.cachedStatement(
        sql: "SELECT user_id, credits_used, credits_refunded FROM user_mails WHERE id = ?"),
      arguments: [mailID])
    guard let row, let owner = row[0] as UUID?, principal.canAccess(owner),
      let balance = state.balances[owner]
    else { throw Rejection.mailNotFound(mailID) }
    let used: Int64 = row[1]
    let refunded: Int64 = row[2]
    guard refunded == 0 else { throw Rejection.mailAlreadyRefunded(mailID) }
    let amount = credits ?? used
    guard amount <= used else { throw Rejection.refundExceedsDebit(mailID: mailID, creditsUsed: used) }
    guard balance + amount <= configuration.limits.creditsBalanceMax else {
      throw Rejection.creditsBalanceLimitExceeded(currentCredits: balance)
    }
    return (owner, .creditsRefunded(mailID: mailID, credits: amount, creditsAfter: balance + amount))
  }

  /// The balance of a live user this principal may act on; anything else is "not found".
  private func liveBalance(of userID: UUID, _ principal: Principal) throws(Rejection) -> Int64 {
    guard principal.canAccess(userID), let balance = state.balances[userID] else {
      throw .userNotFound(userID)
    }
    return balance
  }
}
