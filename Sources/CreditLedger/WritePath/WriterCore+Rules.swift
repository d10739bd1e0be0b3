import Foundation
import GRDB

extension WriterCore {
  /// The checks that depend on the ledger's state, in the order of ``Rejection``'s precedence;
  /// returns whom the event is about and what it says.
  func decide(
    _ command: Command, _ principal: Principal, _ db: Database
  ) throws -> (UUID, Event.Body) {
    let limits = configuration.limits
    switch command {
    case .signUp(let email, let requestedID, let credits):
      let userID = requestedID ?? configuration.makeID()
      if state.balances[userID] != nil {
        throw Rejection.userAlreadyExists(userID)
      }
      if requestedID != nil {
        // A chosen id may belong to a deleted user, whose id is never reused.
        try projectPending(db)
        let used =
          try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM user_events WHERE user_id = ?)"),
            arguments: [userID]) ?? false
        if used { throw Rejection.userAlreadyExists(userID) }
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
    try projectPending(db)
    let row = try Row.fetchOne(
      db.cachedStatement(sql: "SELECT user_id, credits_used, credits_refunded FROM mails WHERE id = ?"),
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
