import Foundation
import GRDB

extension WriterCore {
  /// The checks that depend on the ledger's state, in the order of ``Rejection``'s precedence;
  /// returns whom the event is about and what it says.
  func decide(_ command: Command, _ principal: Principal) throws -> (UUID, Event.Body) {
    let limits = configuration.limits
    switch command {
    case .signUp(let email, let requestedID, let credits):
      let userID = requestedID ?? configuration.makeID()
      if state.balances[userID] != nil {
        throw Rejection.userAlreadyExists(userID)
      }
      if requestedID != nil {
        // A chosen id may belong to a deleted user, whose id is never reused.
        // The events not projected yet first: any that leave that list meanwhile are in
        // the file by the time it is read.
        let unprojected = projections.unprojected
        let used =
          try unprojected.contains { $0.userID == userID }
          || lookups.read { db in
            try Bool.fetchOne(
              db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM user_events WHERE user_id = ?)"),
              arguments: [userID])
          } ?? false
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
      let id = MailID.carrying(nextSeq, in: configuration.makeID())
      let mail = Event.Mail(
        id: id, recipientEmail: send.recipientEmail, subject: send.subject, content: send.content,
        mailType: send.mailType, creditsUsed: send.credits)
      return (send.userID, .mailSent(mail, creditsAfter: balance - send.credits))
    case .refund(let mailID, let credits):
      return try decideRefund(mailID: mailID, credits: credits, principal)
    case .changeEmail(let userID, let email):
      _ = try liveBalance(of: userID, principal)
      return (userID, .emailChanged(email: email))
    case .deleteUser(let userID):
      _ = try liveBalance(of: userID, principal)
      return (userID, .userDeleted)
    }
  }

  private func decideRefund(
    mailID: UUID, credits: Int64?, _ principal: Principal
  ) throws -> (UUID, Event.Body) {
    guard let (owner, used, refunded) = try findMail(mailID), principal.canAccess(owner),
      let balance = state.balances[owner]
    else { throw Rejection.mailNotFound(mailID) }
    guard refunded == 0 else { throw Rejection.mailAlreadyRefunded(mailID) }
    let amount = credits ?? used
    guard amount <= used else { throw Rejection.refundExceedsDebit(mailID: mailID, creditsUsed: used) }
    guard balance + amount <= configuration.limits.creditsBalanceMax else {
      throw Rejection.creditsBalanceLimitExceeded(currentCredits: balance)
    }
    return (owner, .creditsRefunded(mailID: mailID, credits: amount, creditsAfter: balance + amount))
  }

  /// A mail's owner, credits used and credits refunded: as the projections file has it,
  /// with the events it does not have yet folded in (taken before the file is read, so the
  /// two overlap rather than leave a gap).
  private func findMail(_ mailID: UUID) throws -> (owner: UUID, used: Int64, refunded: Int64)? {
    let unprojected = projections.unprojected
    var found = try lookups.read { db in
      try Row.fetchOne(
        db.cachedStatement(
          sql: "SELECT user_id, credits_used, credits_refunded FROM mails WHERE \(MailID.rowCondition)"),
        arguments: MailID.rowArguments(mailID)
      ).map { row in (owner: row[0] as UUID, used: row[1] as Int64, refunded: row[2] as Int64) }
    }
    for event in unprojected {
      switch event.body {
      case .mailSent(let mail, _) where mail.id == mailID:
        found = (event.userID, mail.creditsUsed, found?.refunded ?? 0)
      case .creditsRefunded(let refundedID, let credits, _) where refundedID == mailID:
        found?.refunded = credits
      default: continue
      }
    }
    return found
  }

  /// The balance of a live user this principal may act on; anything else is "not found".
  private func liveBalance(of userID: UUID, _ principal: Principal) throws(Rejection) -> Int64 {
    guard principal.canAccess(userID), let balance = state.balances[userID] else {
      throw .userNotFound(userID)
    }
    return balance
  }
}
