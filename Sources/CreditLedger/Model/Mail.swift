import Foundation

/// A row of the `user_mails` projection: a mail a user sent, and what it cost.
public struct Mail: Sendable, Hashable {
  /// `id`.
  public var id: UUID
  /// `user_id`: who sent it and paid.
  public var userID: UUID
  /// `recipient_email`.
  public var recipientEmail: String
  /// `subject`.
  public var subject: String
  /// `content`: the HTML body.
  public var content: String
  /// `mail_type`.
  public var mailType: MailType
  /// `credits_used`.
  public var creditsUsed: Int64
  /// `credits_refunded`: 0 until the mail is refunded (at most once).
  public var creditsRefunded: Int64
  /// `sent_at`.
  public var sentAt: Date
  /// The sequence number of the `mail_sent` event that recorded it.
  public var seq: Int64

  /// Creates a mail value.
  public init(
    id: UUID, userID: UUID, recipientEmail: String, subject: String, content: String,
    mailType: MailType, creditsUsed: Int64, creditsRefunded: Int64, sentAt: Date, seq: Int64
  ) {
    self.id = id
    self.userID = userID
    self.recipientEmail = recipientEmail
    self.subject = subject
    self.content = content
    self.mailType = mailType
    self.creditsUsed = creditsUsed
    self.creditsRefunded = creditsRefunded
    self.sentAt = sentAt
    self.seq = seq
  }
}

/// What a successful send returns: the seed function's `{success, credits_used, remaining_credits}`
/// plus the new mail's id.
public struct MailReceipt: Sendable, Hashable {
  /// The id of the mail now in `user_mails`.
  public var mailID: UUID
  /// Credits deducted.
  public var creditsUsed: Int64
  /// The balance after the deduction.
  public var remainingCredits: Int64
  /// The sequence number of the event.
  public var seq: Int64
  /// Whether an earlier send with the same idempotency key deducted the credits, and this
  /// receipt is that one's, returned again: nothing was deducted this time. Not in the JSON
  /// (the seed's success object), which is the same for both.
  public var replayed: Bool

  /// Creates a receipt value.
  public init(
    mailID: UUID, creditsUsed: Int64, remainingCredits: Int64, seq: Int64, replayed: Bool = false
  ) {
    self.mailID = mailID
    self.creditsUsed = creditsUsed
    self.remainingCredits = remainingCredits
    self.seq = seq
    self.replayed = replayed
  }
}

/// What a successful refund returns.
public struct RefundReceipt: Sendable, Hashable {
  /// The refunded mail.
  public var mailID: UUID
  /// Whose credits came back.
  public var userID: UUID
  /// Credits given back.
  public var creditsRefunded: Int64
  /// The balance after the refund.
  public var remainingCredits: Int64
  /// The sequence number of the event.
  public var seq: Int64

  /// Creates a receipt value.
  public init(mailID: UUID, userID: UUID, creditsRefunded: Int64, remainingCredits: Int64, seq: Int64) {
    self.mailID = mailID
    self.userID = userID
    self.creditsRefunded = creditsRefunded
    self.remainingCredits = remainingCredits
    self.seq = seq
  }
}
