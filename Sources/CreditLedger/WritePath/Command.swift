import Foundation

/// A request to change the ledger: the first step of the write path
/// (command → validation → writer → batch → SQLite → projection).
///
/// Each accepted command appends exactly one event.
public enum Command: Sendable, Hashable {
  /// Create a profile. `userID` defaults to a fresh id; `credits` to the configured start (300).
  case signUp(email: String, userID: UUID? = nil, credits: Int64? = nil)
  /// Add credits to a user (a top-up).
  case grant(userID: UUID, credits: Int64, reason: String? = nil)
  /// Send a mail and deduct its credits, atomically.
  case send(SendMail)
  /// Give back the credits of a sent mail, all of them unless `credits` says fewer.
  case refund(mailID: UUID, credits: Int64? = nil)
  /// Change a profile's email.
  case changeEmail(userID: UUID, email: String)
  /// Delete a user: their profile and mails leave the projections; the log keeps the history.
  case deleteUser(userID: UUID)

  /// Whether a user principal may run this command at all (on its own data).
  var isOpenToUsers: Bool {
    switch self {
    case .send, .changeEmail: true
    case .signUp, .grant, .refund, .deleteUser: false
    }
  }

  /// The command's name as the CLI and the docs spell it.
  var name: String {
    switch self {
    case .signUp: "signup"
    case .grant: "grant"
    case .send: "send"
    case .refund: "refund"
    case .changeEmail: "change-email"
    case .deleteUser: "delete-user"
    }
  }
}

/// The seed's `deduct_credits_and_log_email` arguments: one mail and the credits it costs.
public struct SendMail: Sendable, Hashable {
  /// `p_user_id`: whose credits pay.
  public var userID: UUID
  /// `p_recipient_email`.
  public var recipientEmail: String
  /// `p_subject`: one line, no line breaks.
  public var subject: String
  /// `p_content`: the HTML body.
  public var content: String
  /// `p_mail_type`.
  public var mailType: MailType
  /// `p_credits_needed`.
  public var credits: Int64

  /// Creates a send request.
  public init(
    userID: UUID, recipientEmail: String, subject: String, content: String, mailType: MailType,
    credits: Int64
  ) {
    self.userID = userID
    self.recipientEmail = recipientEmail
    self.subject = subject
    self.content = content
    self.mailType = mailType
    self.credits = credits
  }
}
