import Foundation

/// One entry of the append-only event log, the ledger's single source of truth.
///
/// Balance-changing events carry `creditsAfter`, the user's balance once the event applied,
/// so that a replay can check its own arithmetic against what the writer saw.
public struct Event: Sendable, Hashable {
  /// Global sequence number: 1, 2, 3… with no gaps, in commit order.
  public let seq: Int64
  /// The user the event is about.
  public let userID: UUID
  /// When the writer appended it; never earlier than the event before it.
  public let recordedAt: Date
  /// The idempotency key the command carried, namespaced by principal, if any.
  public let idempotencyKey: String?
  /// What happened.
  public let body: Body

  /// Creates an event; the writer and the log decoder are the only callers that matter.
  public init(seq: Int64, userID: UUID, recordedAt: Date, idempotencyKey: String?, body: Body) {
    self.seq = seq
    self.userID = userID
    self.recordedAt = recordedAt
    self.idempotencyKey = idempotencyKey
    self.body = body
  }

  /// What happened, with its data.
  public enum Body: Sendable, Hashable {
    /// A profile was created with starting credits.
    case userSignedUp(email: String, credits: Int64)
    /// Credits were added (a top-up).
    case creditsGranted(credits: Int64, reason: String?, creditsAfter: Int64)
    /// A mail was sent and its credits deducted: one event, never one half without the other.
    case mailSent(Mail, creditsAfter: Int64)
    /// Credits of a sent mail were given back (at most once per mail).
    case creditsRefunded(mailID: UUID, credits: Int64, creditsAfter: Int64)
    /// The profile's email changed.
    case emailChanged(email: String)
    /// The user was deleted; their profile and mails leave the projections.
    case userDeleted
  }

  /// The data of a sent mail as the log stores it.
  public struct Mail: Sendable, Hashable {
    /// The mail's id (`user_mails.id`).
    public var id: UUID
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

    /// Creates the data of a sent mail.
    public init(
      id: UUID, recipientEmail: String, subject: String, content: String, mailType: MailType,
      creditsUsed: Int64
    ) {
      self.id = id
      self.recipientEmail = recipientEmail
      self.subject = subject
      self.content = content
      self.mailType = mailType
      self.creditsUsed = creditsUsed
    }
  }

  /// The kind as stored in the log's `kind` column.
  public var kind: Kind {
    switch body {
    case .userSignedUp: .userSignedUp
    case .creditsGranted: .creditsGranted
    case .mailSent: .mailSent
    case .creditsRefunded: .creditsRefunded
    case .emailChanged: .emailChanged
    case .userDeleted: .userDeleted
    }
  }

  /// The event kinds, as stored in the log's `kind` column.
  public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
    /// See ``Body/userSignedUp(email:credits:)``.
    case userSignedUp = "user_signed_up"
    /// See ``Body/creditsGranted(credits:reason:creditsAfter:)``.
    case creditsGranted = "credits_granted"
    /// See ``Body/mailSent(_:creditsAfter:)``.
    case mailSent = "mail_sent"
    /// See ``Body/creditsRefunded(mailID:credits:creditsAfter:)``.
    case creditsRefunded = "credits_refunded"
    /// See ``Body/emailChanged(email:)``.
    case emailChanged = "email_changed"
    /// See ``Body/userDeleted``.
    case userDeleted = "user_deleted"
  }

  /// The signed change this event makes to the user's credits.
  public var creditsDelta: Int64 {
    switch body {
    case .userSignedUp(_, let credits): credits
    case .creditsGranted(let credits, _, _): credits
    case .mailSent(let mail, _): -mail.creditsUsed
    case .creditsRefunded(_, let credits, _): credits
    case .emailChanged, .userDeleted: 0
    }
  }

  /// The balance the event records after itself, where it changes credits.
  var recordedCreditsAfter: Int64? {
    switch body {
    case .userSignedUp(_, let credits): credits
    case .creditsGranted(_, _, let after), .mailSent(_, let after),
      .creditsRefunded(_, _, let after):
      after
    case .emailChanged, .userDeleted: nil
    }
  }
}
