import Foundation

/// The JSON stored in the log's `payload` column: one flat object per event, keys sorted so
/// that the same event always encodes to the same bytes.
struct EventPayload: Codable {
  var email: String?
  var credits: Int64?
  var reason: String?
  var mailID: String?
  var recipientEmail: String?
  var subject: String?
  var content: String?
  var mailType: MailType?
  var creditsUsed: Int64?
  var creditsAfter: Int64?

  enum CodingKeys: String, CodingKey {
    case email, credits, reason, subject, content
    case mailID = "mail_id"
    case recipientEmail = "recipient_email"
    case mailType = "mail_type"
    case creditsUsed = "credits_used"
    case creditsAfter = "credits_after"
  }

  init(_ body: Event.Body) {
    switch body {
    case .userSignedUp(let email, let credits):
      self.email = email
      self.credits = credits
    case .creditsGranted(let credits, let reason, let after):
      self.credits = credits
      self.reason = reason
      creditsAfter = after
    case .mailSent(let mail, let after):
      mailID = mail.id.lowercased
      recipientEmail = mail.recipientEmail
      subject = mail.subject
      content = mail.content
      mailType = mail.mailType
      creditsUsed = mail.creditsUsed
      creditsAfter = after
    case .creditsRefunded(let mailID, let credits, let after):
      self.mailID = mailID.lowercased
      self.credits = credits
      creditsAfter = after
    case .emailChanged(let email):
      self.email = email
    case .userDeleted:
      break
    }
  }

  /// Rebuilds the body of an event of `kind`; nil when a field the kind needs is missing.
  func body(kind: Event.Kind) -> Event.Body? {
    switch kind {
    case .userSignedUp:
      guard let email, let credits else { return nil }
      return .userSignedUp(email: email, credits: credits)
    case .creditsGranted:
      guard let credits, let creditsAfter else { return nil }
      return .creditsGranted(credits: credits, reason: reason, creditsAfter: creditsAfter)
    case .mailSent:
      guard let mailID = mailID.flatMap(UUID.init(uuidString:)), let recipientEmail, let subject, let content,
        let mailType,
        let creditsUsed, let creditsAfter
      else { return nil }
      let mail = Event.Mail(
        id: mailID, recipientEmail: recipientEmail, subject: subject, content: content,
        mailType: mailType, creditsUsed: creditsUsed)
      return .mailSent(mail, creditsAfter: creditsAfter)
    case .creditsRefunded:
      guard let mailID = mailID.flatMap(UUID.init(uuidString:)), let credits,
        let creditsAfter
      else { return nil }
      return .creditsRefunded(mailID: mailID, credits: credits, creditsAfter: creditsAfter)
    case .emailChanged:
      guard let email else { return nil }
      return .emailChanged(email: email)
    case .userDeleted:
      return .userDeleted
    }
  }

  static func encode(_ body: Event.Body) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Encoding a struct of strings and integers cannot fail.
    let data = try! encoder.encode(EventPayload(body))
    return String(decoding: data, as: UTF8.self)
  }

  static func decode(_ text: String, kind: Event.Kind) -> Event.Body? {
    guard let payload = try? JSONDecoder().decode(EventPayload.self, from: Data(text.utf8))
    else { return nil }
    return payload.body(kind: kind)
  }
}
