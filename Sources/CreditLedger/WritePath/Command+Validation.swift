import Foundation

extension Command {
  /// Checks the shape of the input, before the command reaches the writer; the writer checks
  /// the rules that depend on the ledger's state.
  func validate(limits: Limits, idempotencyKey: String?) throws(Rejection) {
    switch self {
    case .signUp(let email, _, let credits):
      try Self.checkEmail(email, field: "email", limits: limits)
      if let credits {
        try Self.checkCredits(credits, field: "credits", allowZero: true, limits: limits)
      }
    case .grant(_, let credits, let reason):
      try Self.checkCredits(credits, field: "credits", allowZero: false, limits: limits)
      if let reason {
        try Self.checkText(reason, field: "reason", bytesMax: limits.reasonBytesMax, line: true)
      }
    case .send(let mail):
      try Self.checkEmail(mail.recipientEmail, field: "recipient_email", limits: limits)
      try Self.checkText(mail.subject, field: "subject", bytesMax: limits.subjectBytesMax, line: true)
      try Self.checkText(
        mail.content, field: "content", bytesMax: limits.contentBytesMax, line: false)
      try Self.checkCredits(mail.credits, field: "credits", allowZero: false, limits: limits)
    case .refund(_, let credits):
      if let credits {
        try Self.checkCredits(credits, field: "credits", allowZero: false, limits: limits)
      }
    case .changeEmail(_, let email):
      try Self.checkEmail(email, field: "email", limits: limits)
    case .deleteUser:
      break
    }
    if let idempotencyKey { try Self.checkIdempotencyKey(idempotencyKey, limits: limits) }
  }

  static func checkCredits(
    _ credits: Int64, field: String, allowZero: Bool, limits: Limits
  ) throws(Rejection) {
    if credits < 0 || (credits == 0 && !allowZero) {
      throw .invalidField(field: field, reason: allowZero ? "must not be negative" : "must be positive")
    }
    if credits > limits.creditsPerCommandMax {
      throw .invalidField(field: field, reason: "must be at most \(limits.creditsPerCommandMax)")
    }
  }

  /// A plain address check: one `@`, a local part, a dotted domain, no spaces or controls.
  /// Deliverability is the mail system's business; this catches typos and injection.
  static func checkEmail(_ email: String, field: String, limits: Limits) throws(Rejection) {
    if email.isEmpty { throw .invalidField(field: field, reason: "must not be empty") }
    if email.utf8.count > limits.emailBytesMax {
      throw .invalidField(field: field, reason: "must be at most \(limits.emailBytesMax) bytes")
    }
    guard Self.isPlainAddress(email) else {
      throw .invalidField(field: field, reason: "'\(email)' is not an email address")
    }
  }

  /// `local@domain.tld` in one pass over the bytes: exactly one `@` with text before it, a
  /// domain of two or more non-empty labels, and no whitespace, controls or `<>,;"()[]\`.
  private static func isPlainAddress(_ email: String) -> Bool {
    var text = email
    return text.withUTF8 { bytes in
      var at: Int?
      var lastDot: Int?
      for (index, byte) in bytes.enumerated() {
        switch byte {
        case 0...0x20, 0x7F, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: ","),
          UInt8(ascii: ";"), UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"),
          UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "\\"):
          return false
        case UInt8(ascii: "@"):
          guard at == nil, index > 0 else { return false }
          at = index
        case UInt8(ascii: "."):
          guard let at else { continue }
          if index == (lastDot ?? at) + 1 { return false }  // an empty domain label
          lastDot = index
        default:
          continue
        }
      }
      guard at != nil, let lastDot else { return false }
      return lastDot < bytes.count - 1
    }
  }

  /// Non-empty text within a size; a `line` also refuses line breaks and control characters,
  /// so that a subject can never smuggle extra mail headers.
  static func checkText(
    _ text: String, field: String, bytesMax: Int, line: Bool
  ) throws(Rejection) {
    // Byte scans on the UTF-8 view: every byte of a multi-byte character is ≥ 0x80, so ASCII
    // controls and NUL are found without decoding, and a 512 KiB body costs one pass.
    if text.utf8.count > bytesMax {
      throw .invalidField(field: field, reason: "must be at most \(bytesMax) bytes")
    }
    if !text.utf8Contains({ !Self.isASCIIWhitespace($0) }) {
      throw .invalidField(field: field, reason: "must not be empty")
    }
    if text.utf8ContainsNUL {
      throw .invalidField(field: field, reason: "must not contain NUL characters")
    }
    if line, text.utf8Contains({ $0 < 0x20 || $0 == 0x7F }) {
      throw .invalidField(field: field, reason: "must be one line without control characters")
    }
  }

  /// Space, tab, line feed, vertical tab, form feed, carriage return.
  private static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || (0x09...0x0D).contains(byte)
  }

  static func checkIdempotencyKey(_ key: String, limits: Limits) throws(Rejection) {
    let field = "idempotency_key"
    if key.isEmpty { throw .invalidField(field: field, reason: "must not be empty") }
    if key.utf8.count > limits.idempotencyKeyBytesMax {
      throw .invalidField(field: field, reason: "must be at most \(limits.idempotencyKeyBytesMax) bytes")
    }
    if !key.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) {
      throw .invalidField(field: field, reason: "must be printable ASCII without spaces")
    }
  }
}

extension Command {
  /// Whether `event` is what this command appended: a retry with the same idempotency key
  /// gets the original result only if it asks for the same thing.
  func matches(_ event: Event) -> Bool {
    switch (self, event.body) {
    case (.signUp(let email, let userID, let credits), .userSignedUp(let eEmail, let eCredits)):
      return email == eEmail && (userID == nil || userID == event.userID)
        && (credits == nil || credits == eCredits)
    case (.grant(let userID, let credits, let reason), .creditsGranted(let eCredits, let eReason, _)):
      return userID == event.userID && credits == eCredits && reason == eReason
    case (.send(let mail), .mailSent(let sent, _)):
      return mail.userID == event.userID && mail.recipientEmail == sent.recipientEmail
        && mail.subject == sent.subject && mail.content == sent.content
        && mail.mailType == sent.mailType && mail.credits == sent.creditsUsed
    case (.refund(let mailID, let credits), .creditsRefunded(let eMailID, let eCredits, _)):
      return mailID == eMailID && (credits == nil || credits == eCredits)
    case (.changeEmail(let userID, let email), .emailChanged(let eEmail)):
      return userID == event.userID && email == eEmail
    case (.deleteUser(let userID), .userDeleted):
      return userID == event.userID
    default:
      return false
    }
  }
}
