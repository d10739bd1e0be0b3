import Foundation
import GRDB

extension MailID {
  /// The `mails` row (or `user_mails` row) of the mail `?1`, bound with ``rowArguments(_:)``:
  /// the row `mail_ids` names, or else the row its id carries — one key lookup either way.
  static let rowCondition =
    "seq = coalesce((SELECT seq FROM mail_ids WHERE id = ?1), ?2) AND id = ?1"

  /// The arguments ``rowCondition`` takes for the mail `id`: the id, then the `seq` it carries.
  static func rowArguments(_ id: UUID) -> StatementArguments {
    [id, seq(of: id)]
  }
}
