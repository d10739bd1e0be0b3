import Foundation

extension Ledger {
  /// Runs any command as `principal` and returns its event once durable: validation here, on
  /// the caller's task, then the writer's rules, batch and commit.
  ///
  /// With an `idempotencyKey`, a retry of the same command returns the original event and
  /// appends nothing; the same key with another command throws
  /// ``Rejection/idempotencyKeyReused(_:)``. Rejected commands are not remembered: a retry
  /// of one is judged afresh.
  @discardableResult
  public func execute(
    _ command: Command, idempotencyKey: String? = nil, as principal: Principal
  ) async throws -> Event {
    try await answer(command, idempotencyKey: idempotencyKey, as: principal).event
  }

  /// ``execute(_:idempotencyKey:as:)``, also saying whether the event was a replay.
  private func answer(
    _ command: Command, idempotencyKey: String?, as principal: Principal
  ) async throws -> Writer.Answer {
    if case .user = principal, !command.isOpenToUsers {
      throw Rejection.notPermitted("\(command.name) needs the service role")
    }
    try command.validate(limits: configuration.limits, idempotencyKey: idempotencyKey)
    return try await writer.submit(command, principal: principal, idempotencyKey: idempotencyKey)
  }

  /// Creates a profile with `credits` (default: the configured start, 300). Service only.
  public func signUp(
    email: String, userID: UUID? = nil, credits: Int64? = nil, idempotencyKey: String? = nil,
    as principal: Principal
  ) async throws -> Profile {
    let event = try await execute(
      .signUp(email: email, userID: userID, credits: credits), idempotencyKey: idempotencyKey,
      as: principal)
    guard case .userSignedUp(let email, let credits) = event.body else { preconditionFailure() }
    return Profile(
      id: event.userID, email: email, credits: credits, createdAt: event.recordedAt,
      updatedAt: event.recordedAt)
  }

  /// Adds credits to a user. Service only. Returns the new balance.
  public func grant(
    userID: UUID, credits: Int64, reason: String? = nil, idempotencyKey: String? = nil,
    as principal: Principal
  ) async throws -> Balance {
    let event = try await execute(
      .grant(userID: userID, credits: credits, reason: reason), idempotencyKey: idempotencyKey,
      as: principal)
    guard case .creditsGranted(_, _, let after) = event.body else { preconditionFailure() }
    return Balance(userID: event.userID, credits: after)
  }

  /// The seed's `deduct_credits_and_log_email`: checks the credits, deducts them and records
  /// the mail, as one event. Throws ``Rejection/insufficientCredits(currentCredits:)`` with
  /// the current credits when they are short.
  public func send(
    _ mail: SendMail, idempotencyKey: String? = nil, as principal: Principal
  ) async throws -> MailReceipt {
    let answer = try await answer(.send(mail), idempotencyKey: idempotencyKey, as: principal)
    guard case .mailSent(let sent, let after) = answer.event.body else { preconditionFailure() }
    return MailReceipt(
      mailID: sent.id, creditsUsed: sent.creditsUsed, remainingCredits: after, seq: answer.event.seq,
      replayed: answer.replayed)
  }

  /// Gives back a sent mail's credits (all, or `credits` of them), at most once. Service only.
  public func refund(
    mailID: UUID, credits: Int64? = nil, idempotencyKey: String? = nil, as principal: Principal
  ) async throws -> RefundReceipt {
    let event = try await execute(
      .refund(mailID: mailID, credits: credits), idempotencyKey: idempotencyKey, as: principal)
    guard case .creditsRefunded(let mailID, let credits, let after) = event.body else {
      preconditionFailure()
    }
    return RefundReceipt(
      mailID: mailID, userID: event.userID, creditsRefunded: credits, remainingCredits: after,
      seq: event.seq)
  }

  /// Changes a profile's email; a user may change its own. Returns the profile after it.
  public func changeEmail(
    userID: UUID, email: String, idempotencyKey: String? = nil, as principal: Principal
  ) async throws -> Profile {
    try await execute(
      .changeEmail(userID: userID, email: email), idempotencyKey: idempotencyKey, as: principal)
    return try await reader.profile(userID: userID, as: principal)
  }

  /// Deletes a user: the profile and mails leave the projections, the log keeps the history,
  /// and the id is unknown from then on. Service only.
  @discardableResult
  public func deleteUser(
    userID: UUID, idempotencyKey: String? = nil, as principal: Principal
  ) async throws -> Event {
    try await execute(.deleteUser(userID: userID), idempotencyKey: idempotencyKey, as: principal)
  }
}
