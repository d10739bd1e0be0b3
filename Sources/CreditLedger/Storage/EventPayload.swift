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
      guard let mailID = mailID.flatMap(UUID.init(hyphenated:)), let recipientEmail, let subject, let content,
        let mailType,
        let creditsUsed, let creditsAfter
      else { return nil }
      let mail = Event.Mail(
        id: mailID, recipientEmail: recipientEmail, subject: subject, content: content,
        mailType: mailType, creditsUsed: creditsUsed)
      return .mailSent(mail, creditsAfter: creditsAfter)
    case .creditsRefunded:
      guard let mailID = mailID.flatMap(UUID.init(hyphenated:)), let credits,
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

  /// Writes the payload's JSON into `json`: keys in sorted order, absent fields left out, so
  /// one event always encodes to the same bytes. By hand, into a buffer the writer reuses for
  /// every append, because it is on the hot path: Foundation's JSONEncoder was 12% of a send's
  /// CPU, and a `String` grown field by field a sixth of the writer thread's (SQLite then
  /// copied it). Straight from the body, each case's keys in byte order: going through an
  /// `EventPayload` copied every text once more and made the mail id a `String`, ~1,300
  /// instructions an event on the writer's thread.
  static func encode(_ body: Event.Body, into json: inout JSONText) {
    switch body {
    case .userSignedUp(let email, let credits):
      json.field("credits", credits)
      json.field("email", email)
    case .creditsGranted(let credits, let reason, let after):
      json.field("credits", credits)
      json.field("credits_after", after)
      json.field("reason", reason)
    case .mailSent(let mail, let after):
      json.reserve(mail.content.utf8.count + 384)
      json.field("content", mail.content)
      json.field("credits_after", after)
      json.field("credits_used", mail.creditsUsed)
      json.field("mail_id", mail.id)
      json.field("mail_type", mail.mailType.rawValue)
      json.field("recipient_email", mail.recipientEmail)
      json.field("subject", mail.subject)
    case .creditsRefunded(let mailID, let credits, let after):
      json.field("credits", credits)
      json.field("credits_after", after)
      json.field("mail_id", mailID)
    case .emailChanged(let email):
      json.field("email", email)
    case .userDeleted:
      break
    }
  }

  static func decode(_ text: String, kind: Event.Kind, withContent: Bool = true) -> Event.Body? {
    var text = text
    return text.withUTF8 { decode(bytes: $0, kind: kind, withContent: withContent) }
  }

  /// The same from the payload's UTF-8 bytes, where SQLite holds them.
  static func decode(bytes: UnsafeBufferPointer<UInt8>, kind: Event.Kind, withContent: Bool = true)
    -> Event.Body?
  {
    var payload = EventPayload(.userDeleted)
    var wellFormed = true
    let flat = FlatJSON.forEachField(bytes: bytes, skipping: withContent ? nil : "content") {
      key, value in
      switch (key, value) {
      case ("email", .string(let text)): payload.email = text
      case ("reason", .string(let text)): payload.reason = text
      case ("mail_id", .string(let text)): payload.mailID = text
      case ("recipient_email", .string(let text)): payload.recipientEmail = text
      case ("subject", .string(let text)): payload.subject = text
      case ("content", .string(let text)): payload.content = text
      case ("mail_type", .string(let text)): payload.mailType = MailType(rawValue: text)
      case ("credits", .integer(let number)): payload.credits = number
      case ("credits_used", .integer(let number)): payload.creditsUsed = number
      case ("credits_after", .integer(let number)): payload.creditsAfter = number
      default: wellFormed = false
      }
    }
    if flat { return wellFormed ? payload.body(kind: kind) : nil }
    guard let decoded = try? JSONDecoder().decode(EventPayload.self, from: Data(buffer: bytes))
    else { return nil }
    return decoded.body(kind: kind)
  }
}
