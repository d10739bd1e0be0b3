import Foundation

/// A point in the ledger's history.
public enum AsOf: Sendable, Hashable {
  /// Just after the event with this sequence number.
  case seq(Int64)
  /// Just after the last event recorded at or before this time.
  case time(Date)
}

/// One user's account of every event, with the running balance after each.
public struct Statement: Sendable, Hashable {
  /// The user.
  public var userID: UUID
  /// The events, oldest first.
  public var lines: [Line]

  /// One event on a statement.
  public struct Line: Sendable, Hashable {
    /// The event's sequence number.
    public var seq: Int64
    /// What happened.
    public var kind: Event.Kind
    /// When.
    public var recordedAt: Date
    /// The signed change to the user's credits (0 for email changes and deletion).
    public var credits: Int64
    /// The balance after the event (0 after deletion).
    public var creditsAfter: Int64
    /// The mail concerned, for sends and refunds.
    public var mailID: UUID?
    /// The grant's reason, or the new email, where there is one.
    public var detail: String?
  }
}
