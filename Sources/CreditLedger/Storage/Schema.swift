import Foundation
import GRDB

/// The ledger's tables, created and upgraded by GRDB migrations when a writer opens the file.
enum Schema {
  /// The DDL, one migration per schema version. Never edit a shipped migration: add one.
  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1: event log and projections") { db in
      try db.execute(sql: eventLogDDL)
      try db.execute(sql: SchemaV1.projectionsDDL)
    }
    migrator.registerMigration("v2: hash chain") { db in
      try addHashChain(db)
    }
    migrator.registerMigration("v3: mail chain") { db in
      // Only a file that holds the projections itself (a backup, an import, a new ledger
      // before they move to their own file): a projections file of an older format is
      // replayed instead (``ProjectionStore``).
      if try db.tableExists("mails") { try db.execute(sql: mailChainMigration) }
    }
    return migrator
  }

  /// Links each user's mails into the chain ``MailChain`` walks, and drops the index it
  /// replaces.
  static let mailChainMigration = """
    ALTER TABLE profiles ADD COLUMN last_mail_seq INTEGER;
    ALTER TABLE mails ADD COLUMN prev_seq INTEGER;
    UPDATE mails SET prev_seq = chain.prev
      FROM (SELECT seq, lag(seq) OVER (PARTITION BY user_id ORDER BY seq) AS prev FROM mails) AS chain
      WHERE mails.seq = chain.seq AND chain.prev IS NOT NULL;
    UPDATE profiles SET last_mail_seq = newest.seq
      FROM (SELECT user_id, max(seq) AS seq FROM mails GROUP BY user_id) AS newest
      WHERE profiles.id = newest.user_id;
    DROP INDEX mails_user_sent;
    """

  /// Adds each event's link of the hash chain (``EventChain``), computing it for the events
  /// already in the log. The trigger that refuses updates is lifted for this one migration,
  /// inside its transaction, and put back before it commits.
  static func addHashChain(_ db: Database) throws {
    try db.execute(
      sql: """
        ALTER TABLE events ADD COLUMN hash BLOB;
        DROP TRIGGER events_refuse_update;
        """)
    var previous = ChainHash.genesis
    let rows = try Row.fetchAll(db, sql: "SELECT \(EventLog.columns) FROM events ORDER BY seq")
    for row in rows {
      let link = EventLog.link(after: previous, row)
      try db.execute(
        sql: "UPDATE events SET hash = ? WHERE seq = ?", arguments: [Data(link.bytes), row[0] as Int64])
      previous = link
    }
    try db.execute(sql: hashChainDDL)
  }

  /// Puts back the refusal of updates, and refuses an append without its 32-byte link.
  static let hashChainDDL = """
    CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
      BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE refused'); END;
    CREATE TRIGGER events_require_hash BEFORE INSERT ON events
      WHEN NEW.hash IS NULL OR typeof(NEW.hash) != 'blob' OR length(NEW.hash) != 32
      BEGIN SELECT RAISE(ABORT, 'an event needs its 32-byte hash-chain link'); END;
    """

  /// The DDL as `ledger schema` prints it: the log file as a migrated database holds it, in
  /// creation order, then the projections file, then the view each reader connection makes.
  static func currentDDL() throws -> String {
    let log = try DatabaseQueue()
    try migrator.migrate(log)
    try log.write { try dropProjections($0) }
    let projections = try DatabaseQueue()
    try projections.write { try $0.execute(sql: projectionTablesDDL) }
    return try [
      "-- \(ProjectionStore.suffix.dropFirst()) file\n" + ddl(projections),
      "-- on every reader connection of a ledger whose projections have their own file\n"
        + userMailsTempViewDDL.trimmingCharacters(in: .whitespacesAndNewlines) + ";",
    ].reduce(ddl(log)) { $0 + "\n" + $1 }
  }

  private static func ddl(_ queue: DatabaseQueue) throws -> String {
    try queue.read { db in
      try String.fetchAll(
        db,
        sql: """
          SELECT sql || ';' FROM sqlite_master
          WHERE sql IS NOT NULL AND name NOT LIKE 'grdb_%' ORDER BY rowid
          """
      ).joined(separator: "\n")
    }
  }

  /// The append-only log, the only table a caller waits on. `seq` is the rowid, so an append
  /// goes to the end of the B-tree and a batch dirties a few adjacent pages; the only other
  /// index is partial, so events without an idempotency key pay nothing for it.
  /// The triggers make the database itself refuse any change to a committed event.
  static let eventLogDDL = """
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
    """

  /// The projections, derived from the log, trailing it by a bounded lag, rebuilt at will.
  /// A live ledger keeps them in a file of their own (``ProjectionStore``); a backup, an
  /// import and a file from before 0.5 hold them beside the log, with this DDL.
  ///
  /// A mail's body is stored once, in its event: `mails` holds the rest of the row, and the
  /// view `user_mails` joins the body back in, so SQL written against the seed's table still
  /// reads the same columns.
  static let projectionsDDL = mailProjectionDDL + userMailsViewDDL + statementProjectionDDL

  /// The projection tables, without the view over the log: what a verify replays into.
  static let projectionTablesDDL = mailProjectionDDL + statementProjectionDDL

  /// A user's mails are linked newest first (``MailChain``): `profiles.last_mail_seq` is the
  /// newest, each mail's `prev_seq` the one before. No index on `user_id`: the chain serves
  /// history, statements, stats and deletion, and costs a catch-up no random page. No index
  /// on `mails.id` either: a mail's id carries its `seq` (``MailID``), and `mail_ids` lists
  /// the ids that do not.
  private static let mailProjectionDDL = """
    CREATE TABLE profiles (
      id BLOB PRIMARY KEY CHECK (length(id) = 16),
      email TEXT NOT NULL,
      credits INTEGER NOT NULL CHECK (credits >= 0),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      last_mail_seq INTEGER
    ) WITHOUT ROWID;
    CREATE TABLE mails (
      seq INTEGER PRIMARY KEY,
      id BLOB NOT NULL CHECK (length(id) = 16),
      user_id BLOB NOT NULL,
      recipient_email TEXT NOT NULL,
      subject TEXT NOT NULL,
      mail_type TEXT NOT NULL CHECK (mail_type IN ('custom', 'template')),
      credits_used INTEGER NOT NULL CHECK (credits_used > 0),
      credits_refunded INTEGER NOT NULL DEFAULT 0 CHECK (credits_refunded >= 0),
      sent_at INTEGER NOT NULL,
      prev_seq INTEGER
    );
    -- The mails whose id does not carry their own seq (minted before, or imported).
    CREATE TABLE mail_ids (
      id BLOB PRIMARY KEY CHECK (length(id) = 16),
      seq INTEGER NOT NULL
    ) WITHOUT ROWID;

    """

  private static let userMailsViewDDL = "CREATE VIEW user_mails AS" + userMailsSelect

  /// The same view over two files: a view in one database file cannot name tables in
  /// another, so each reader connection makes it in its TEMP schema.
  static let userMailsTempViewDDL = "CREATE TEMP VIEW user_mails AS" + userMailsSelect

  private static let userMailsSelect = """

      SELECT m.id, m.user_id, m.recipient_email, m.subject,
        json_extract(e.payload, '$.content') AS content, m.mail_type, m.credits_used,
        m.credits_refunded, m.sent_at, m.seq
      FROM mails m JOIN events e ON e.seq = m.seq;

    """

  private static let statementProjectionDDL = """
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

  /// Drops and recreates the projections (empty) inside the caller's transaction: with the
  /// `user_mails` view in a file that holds the log too, without it in a projections file.
  static func recreateProjections(_ db: Database, withView: Bool) throws {
    try dropProjections(db)
    try db.execute(sql: withView ? projectionsDDL : projectionTablesDDL)
  }

  /// Drops the projections and the view over them, if they are there.
  static func dropProjections(_ db: Database) throws {
    try db.execute(
      sql: """
        DROP VIEW IF EXISTS main.user_mails;
        DROP TABLE IF EXISTS main.profiles;
        DROP TABLE IF EXISTS main.mails;
        DROP TABLE IF EXISTS main.mail_ids;
        DROP TABLE IF EXISTS main.user_events;
        DROP TABLE IF EXISTS main.projection_checkpoint;
        """)
  }
}
