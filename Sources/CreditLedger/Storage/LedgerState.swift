import Foundation

/// Every live user's balance, folded from the log: what the writer checks commands against,
/// and what a replay checks each event against.
struct LedgerState {
  /// Credits per live user; a deleted or unknown user has no entry.
  var balances: [UUID: Int64] = [:]

  /// Folds `event` in, after checking that it keeps the ledger's invariants: it names a live
  /// user (or a new one, for a signup), it records the balance the fold computes, and no
  /// balance goes below zero. Returns the user's credits before and after it (nil: no such
  /// user, or deleted).
  ///
  /// One probe of the dictionary for an existing user's event: on the writer this runs for
  /// every deduction, and each lookup of a `UUID` key hashes and compares it again.
  @discardableResult
  mutating func apply(_ event: Event) throws(LedgerError) -> (before: Int64?, after: Int64?) {
    let user = event.userID
    if case .userSignedUp(_, let credits) = event.body {
      guard balances[user] == nil else {
        throw .corruptLog(seq: event.seq, reason: "signup of existing user \(user.lowercased)")
      }
      guard credits >= 0 else { throw .corruptLog(seq: event.seq, reason: "negative start") }
      balances[user] = credits
      return (nil, credits)
    }
    guard let index = balances.index(forKey: user) else {
      throw .corruptLog(seq: event.seq, reason: "event for unknown user \(user.lowercased)")
    }
    let balance = balances.values[index]
    if case .userDeleted = event.body {
      balances.remove(at: index)
      return (balance, nil)
    }
    let after = balance + event.creditsDelta
    guard after >= 0 else { throw .corruptLog(seq: event.seq, reason: "balance below zero") }
    if let recorded = event.recordedCreditsAfter, recorded != after {
      throw .corruptLog(
        seq: event.seq, reason: "records credits_after \(recorded), replay gives \(after)")
    }
    balances.values[index] = after
    return (balance, after)
  }
}
