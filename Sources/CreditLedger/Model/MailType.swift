/// The seed's `mail_type`: whether a mail was written by hand or from a template.
public enum MailType: String, Sendable, Hashable, CaseIterable, Codable {
  /// A mail the user wrote.
  case custom
  /// A mail made from a template.
  case template
}
