import GRDB

/// The ledger's tables, created and upgraded by GRDB migrations when a writer opens the file.
enum Schema {
  /// The DDL, one migration per schema version. Never edit a shipped migration: add one.
  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1: event log and projections") { db in
      try db.execute(sql: eventLogDDL)
      try db.execute(sql: projectionsDDL)
    }
    return migrator
  }

  /// The append-only log. `seq` is the rowid, so appends go to the end of the B-tree.
  /// The triggers make the database itself refuse any change to a committed event.
  static let eventLogDDL = """
    CREATE TABLE events (
      seq INTEGER PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('user_signed_up', 'credits_granted', 'mail_sent',
        'credits_refunded', 'email_changed', 'user_deleted')),
      user_id BLOB NOT NULL CHECK (length(user_id) = 16),
      recorded_at INTEGER NOT NULL,
      payload TEXT NOT NULL,
      idempotency_key TEXT UNIQUE
    );
    -- A user's statement and as-of replays read one user's events in order.
    CREATE INDEX events_user_seq ON events(user_id, seq);
    CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
      BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE refused'); END;
    CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
      BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE refused'); END;
    """

  /// The projections, derived from the log and rebuilt from it at will.
  static let projectionsDDL = """
    CREATE TABLE profiles (
      id BLOB PRIMARY KEY CHECK (length(id) = 16),
      email TEXT NOT NULL,
      credits INTEGER NOT NULL CHECK (credits >= 0),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE user_mails (
      seq INTEGER PRIMARY KEY,
      id BLOB NOT NULL UNIQUE CHECK (length(id) = 16),
      user_id BLOB NOT NULL,
      recipient_email TEXT NOT NULL,
      subject TEXT NOT NULL,
      content TEXT NOT NULL,
      mail_type TEXT NOT NULL CHECK (mail_type IN ('custom', 'template')),
      credits_used INTEGER NOT NULL CHECK (credits_used > 0),
      credits_refunded INTEGER NOT NULL DEFAULT 0 CHECK (credits_refunded >= 0),
      sent_at INTEGER NOT NULL
    );
    -- History newest first, keyset pages, and stats since a date: all one range of this index.
    CREATE INDEX user_mails_user_sent ON user_mails(user_id, sent_at DESC, seq DESC);
    -- The recipient filter, within one user (the seed's index spans all users' mails).
    CREATE INDEX user_mails_user_recipient
      ON user_mails(user_id, recipient_email, sent_at DESC, seq DESC);
    CREATE TABLE projection_checkpoint (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      seq INTEGER NOT NULL
    );
    INSERT INTO projection_checkpoint (id, seq) VALUES (1, 0);
    """

  /// Drops and recreates the projections (empty) inside the caller's transaction.
  static func recreateProjections(_ db: Database) throws {
    try db.execute(
      sql: """
        DROP TABLE IF EXISTS profiles;
        DROP TABLE IF EXISTS user_mails;
        DROP TABLE IF EXISTS projection_checkpoint;
        """)
    try db.execute(sql: projectionsDDL)
  }
}
