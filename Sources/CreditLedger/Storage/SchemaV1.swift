import Foundation

/// The projections as the first migration created them beside the log, kept as they were:
/// a shipped migration never changes. Later migrations (``Schema/mailChainMigration``) bring
/// a file that still holds them up to date.
enum SchemaV1 {
  /// The v1 `profiles`, `mails` (with its history index), `user_mails`, `user_events` and
  /// `projection_checkpoint`.
  static let projectionsDDL = """
    CREATE TABLE profiles (
      id BLOB PRIMARY KEY CHECK (length(id) = 16),
      email TEXT NOT NULL,
      credits INTEGER NOT NULL CHECK (credits >= 0),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE mails (
      seq INTEGER PRIMARY KEY,
      id BLOB NOT NULL UNIQUE CHECK (length(id) = 16),
      user_id BLOB NOT NULL,
      recipient_email TEXT NOT NULL,
      subject TEXT NOT NULL,
      mail_type TEXT NOT NULL CHECK (mail_type IN ('custom', 'template')),
      credits_used INTEGER NOT NULL CHECK (credits_used > 0),
      credits_refunded INTEGER NOT NULL DEFAULT 0 CHECK (credits_refunded >= 0),
      sent_at INTEGER NOT NULL
    );
    CREATE INDEX mails_user_sent ON mails(user_id, sent_at DESC, seq DESC);
    CREATE VIEW user_mails AS
      SELECT m.id, m.user_id, m.recipient_email, m.subject,
        json_extract(e.payload, '$.content') AS content, m.mail_type, m.credits_used,
        m.credits_refunded, m.sent_at, m.seq
      FROM mails m JOIN events e ON e.seq = m.seq;
    -- One user's events other than sends (their mails row serves those), for statements.
    CREATE TABLE user_events (
      user_id BLOB NOT NULL,
      seq INTEGER NOT NULL,
      PRIMARY KEY (user_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE projection_checkpoint (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      seq INTEGER NOT NULL
    );
    INSERT INTO projection_checkpoint (id, seq) VALUES (1, 0);
    """
}
