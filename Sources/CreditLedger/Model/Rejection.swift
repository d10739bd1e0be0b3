import Foundation

/// Why the ledger refused a command or a query, named after the rule that was broken.
///
/// A rejected command appends nothing. When a command breaks several rules, the one reported
/// is the first in this order of precedence (the order of the cases):
/// 1. ``notPermitted(_:)``: the principal may not run this command at all;
/// 2. ``invalidField(field:reason:)``: the input is malformed;
/// 3. ``idempotencyKeyReused(_:)``: the key was used before for another command;
/// 4. ``userNotFound(_:)``, ``mailNotFound(_:)``: the target does not exist, was deleted, or
///    belongs to another user (the three answer alike);
/// 5. ``userAlreadyExists(_:)``;
/// 6. ``mailAlreadyRefunded(_:)``, ``refundExceedsDebit(mailID:creditsUsed:)``;
/// 7. ``insufficientCredits(currentCredits:)``, ``creditsBalanceLimitExceeded(currentCredits:)``.
public enum Rejection: Error, Sendable, Hashable {
  /// The principal's role does not allow this command (a user asking for a service command).
  case notPermitted(String)
  /// A field of the input is malformed; `field` uses the seed's snake_case column names.
  case invalidField(field: String, reason: String)
  /// The idempotency key was already used for a different command.
  case idempotencyKeyReused(String)
  /// No such user, as far as this principal can tell.
  case userNotFound(UUID)
  /// No such mail, as far as this principal can tell.
  case mailNotFound(UUID)
  /// A user with this id exists or existed (ids of deleted users are never reused).
  case userAlreadyExists(UUID)
  /// The mail was refunded already; a mail is refunded at most once.
  case mailAlreadyRefunded(UUID)
  /// The refund asks for more credits than the mail used.
  case refundExceedsDebit(mailID: UUID, creditsUsed: Int64)
  /// The user has fewer credits than the send needs; nothing was deducted.
  case insufficientCredits(currentCredits: Int64)
  /// The grant or refund would take the balance past ``Limits/creditsBalanceMax``.
  case creditsBalanceLimitExceeded(currentCredits: Int64)

  /// A stable snake_case code for programs (CLI and HTTP bodies).
  public var code: String {
    switch self {
    case .notPermitted: "not_permitted"
    case .invalidField: "invalid_field"
    case .idempotencyKeyReused: "idempotency_key_reused"
    case .userNotFound: "user_not_found"
    case .mailNotFound: "mail_not_found"
    case .userAlreadyExists: "user_already_exists"
    case .mailAlreadyRefunded: "mail_already_refunded"
    case .refundExceedsDebit: "refund_exceeds_debit"
    case .insufficientCredits: "insufficient_credits"
    case .creditsBalanceLimitExceeded: "credits_balance_limit_exceeded"
    }
  }

  /// The field at fault, for ``invalidField(field:reason:)``.
  public var field: String? {
    if case .invalidField(let field, _) = self { return field }
    return nil
  }
}

extension Rejection: CustomStringConvertible {
  /// A sentence that says what was wrong.
  public var description: String {
    switch self {
    case .notPermitted(let what): "not permitted: \(what)"
    case .invalidField(let field, let reason): "invalid \(field): \(reason)"
    case .idempotencyKeyReused(let key):
      "idempotency key '\(key)' was already used for a different command"
    case .userNotFound(let id): "no user \(id.lowercased)"
    case .mailNotFound(let id): "no mail \(id.lowercased)"
    case .userAlreadyExists(let id): "user \(id.lowercased) already exists or existed"
    case .mailAlreadyRefunded(let id): "mail \(id.lowercased) was already refunded"
    case .refundExceedsDebit(let id, let used):
      "a refund of mail \(id.lowercased) may return at most the \(used) credits it used"
    case .insufficientCredits(let current): "Insufficient credits (current credits: \(current))"
    case .creditsBalanceLimitExceeded(let current):
      "the balance would exceed the ledger's limit (current credits: \(current))"
    }
  }
}
