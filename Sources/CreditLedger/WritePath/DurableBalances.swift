import Foundation
import Synchronization

/// Every live user's durable balance, in memory, for the ledger's own readers: a balance
/// read is a dictionary lookup under a lock, not a query that waits for the projections.
///
/// The writer's ``LedgerState`` runs ahead of durability (a batch's balances change when it
/// commits, before its `fdatasync`); this copy changes only once a batch is durable, before
/// its callers are answered. So a read never sees a balance a crash could take back, and a
/// caller that was told "done" reads its own deduction.
final class DurableBalances: Sendable {
  /// One batch's users and their credits after it (nil: deleted), in commit order.
  typealias Changes = [(user: UUID, credits: Int64?)]

  /// Nil once the ledger is closed.
  private let balances: Mutex<[UUID: Int64]?>

  /// Starts from the balances of a log whose every event is durable (a ledger just opened).
  init(_ balances: [UUID: Int64]) {
    self.balances = Mutex(balances)
  }

  /// The user's credits, or nil for a user who does not exist (or no longer does).
  /// Throws ``LedgerError/closed`` once the ledger is closed, as its other reads do.
  func credits(of user: UUID) throws(LedgerError) -> Int64? {
    guard let credits = balances.withLock({ $0.map { $0[user] } }) else { throw .closed }
    return credits
  }

  /// Folds in durable batches' changes, oldest first.
  func apply(_ changes: Changes) {
    guard !changes.isEmpty else { return }
    balances.withLock { balances in
      for change in changes { balances?[change.user] = change.credits }
    }
  }

  /// Forgets every balance: the ledger closed.
  func close() {
    balances.withLock { $0 = nil }
  }
}
