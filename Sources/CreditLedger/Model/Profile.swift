import Foundation

/// A row of the `profiles` projection: the seed's `profiles` table.
public struct Profile: Sendable, Hashable {
  /// `id`: the user's id.
  public var id: UUID
  /// `email`.
  public var email: String
  /// `credits`: the current balance, never negative.
  public var credits: Int64
  /// `created_at`: when the user signed up.
  public var createdAt: Date
  /// `updated_at`: the time of the last event that touched the profile.
  public var updatedAt: Date

  /// Creates a profile value.
  public init(id: UUID, email: String, credits: Int64, createdAt: Date, updatedAt: Date) {
    self.id = id
    self.email = email
    self.credits = credits
    self.createdAt = createdAt
    self.updatedAt = updatedAt
  }
}

/// One user's credits.
public struct Balance: Sendable, Hashable {
  /// The user.
  public var userID: UUID
  /// Their credits.
  public var credits: Int64

  /// Creates a balance value.
  public init(userID: UUID, credits: Int64) {
    self.userID = userID
    self.credits = credits
  }
}
