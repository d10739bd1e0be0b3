import Foundation

/// Who runs a command or a query: the ledger's version of the seed's row-level security.
///
/// Every public operation takes a principal. A ``user(_:)`` sees and acts on only its own
/// profile and mails, may change its email but never its credits, and gets the same answer
/// for another user's data as for data that does not exist. The ``service`` role does
/// everything: signups, grants, refunds, deletions, any user's data.
public enum Principal: Sendable, Hashable {
  /// An end user, identified by the id of its profile.
  case user(UUID)
  /// The backend itself (Supabase's `service_role`): every command on every user.
  case service

  /// Whether this principal may see or act on the data of `userID`.
  func canAccess(_ userID: UUID) -> Bool {
    switch self {
    case .service: true
    case .user(let own): own == userID
    }
  }

  /// The prefix that keeps one principal's idempotency keys apart from another's, so that a
  /// user's key can never collide with (or reveal) a key another principal used.
  var idempotencyNamespace: String {
    switch self {
    case .service: "service:"
    case .user(let id): "user:\(id.lowercased):"
    }
  }
}
