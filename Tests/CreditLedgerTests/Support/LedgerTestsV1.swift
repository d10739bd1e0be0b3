/// The schema exactly as the first release (v1, before the hash chain) created it: to test
/// that a file it wrote is upgraded. Copied from that release; never edit.
enum LedgerTestsV1 {
  static let schema = """
    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
    CREATE TABLE events (
      seq INTEGER PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('user_signed_up', 'credits_granted', 'mail_sent',
        'credits_refunded', 'email_changed', 'user_deleted')),
      user_id BLOB NOT NULL CHECK (length(user_id) = 16),
      recorded_at INTEGER NOT NULL,
      payload TEXT NOT NULL,
      idempotency_key TEXT
    );
    CREATE UNIQUE INDEX events_idempotency_key ON events(idempotency_key)
      WHERE idempotency_key IS NOT NULL;
    CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
      BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE refused'); END;
    CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
      BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE refused'); END;
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
    -- History newest first, keyset pages, and stats since a date: one range of this index each.
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
