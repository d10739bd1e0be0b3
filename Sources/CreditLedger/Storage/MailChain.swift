import Foundation

/// The SQL that reads one user's mails through their chain instead of an index.
///
/// Each `mails` row holds `prev_seq`, the sequence number of the same user's mail before it,
/// and each profile `last_mail_seq`, the newest: a singly linked list, newest first. A
/// catch-up appends a mail at the end of `mails` (its rowid is the log's `seq`) and sets the
/// profile's link in the update it makes anyway; an index on `(user_id, …)` put every mail in
/// a random leaf, which each catch-up wrote to the WAL and each checkpoint again (40–55% of a
/// catch-up's statements, measured). A page of history walks the chain: one rowid lookup per
/// row, as the index's range needed one per row to read the row.
///
/// Times never go back along the log (the writer and the importer see to it), so newest
/// first by `seq` is newest first by `sent_at`, and a walk back to a date stops at the first
/// mail before it.
enum MailChain {
  /// `chain(seq)`: the user `?1`'s mails from `start` (an SQL expression for a sequence
  /// number; NULL, for none, joins no row) back to the first, newest first, as a co-routine
  /// that stops when the query using it stops; the walk goes past a mail only while
  /// `condition` (on the mail `m`) holds. Join it to the rows with `CROSS JOIN`, which keeps
  /// it the outer loop, so the rows come in its order.
  static func with(from start: String, continuingWhile condition: String? = nil) -> String {
    """
    WITH RECURSIVE chain(seq) AS (
      SELECT \(start)
      UNION ALL
      SELECT m.prev_seq FROM chain CROSS JOIN mails m ON m.seq = chain.seq
      WHERE m.prev_seq IS NOT NULL\(condition.map { " AND \($0)" } ?? "")
    )

    """
  }

  /// The newest mail of the user `?1`.
  static let head = "(SELECT last_mail_seq FROM profiles WHERE id = ?1)"

  /// Where a history page after the mail `?2` starts: the mail before it, when `?2` is the
  /// user `?1`'s (a cursor this ledger issued); otherwise at the user's newest, the caller
  /// keeping only mails before `?2`.
  static let afterCursor = """
    (CASE WHEN EXISTS (SELECT 1 FROM mails WHERE seq = ?2 AND user_id = ?1)
      THEN (SELECT prev_seq FROM mails WHERE seq = ?2) ELSE \(head) END)
    """

  /// Deletes the mails from `?1` back along its chain: a user's whole history, from the
  /// newest mail, the `user_id` also checked.
  static let deleteFromStart =
    with(from: "?1") + "DELETE FROM mails WHERE seq IN (SELECT seq FROM chain) AND user_id = ?2"
}
