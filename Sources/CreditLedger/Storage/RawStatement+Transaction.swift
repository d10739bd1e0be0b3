import GRDB
import GRDBSQLite

extension RawStatement {
  /// Runs `body` in one transaction, begun (`BEGIN IMMEDIATE` or `BEGIN DEFERRED`) and
  /// committed through statements prepared once per connection; rolled back if `body` or the
  /// commit throws.
  ///
  /// GRDB's `inTransaction` prepared its BEGIN and its COMMIT anew each time and wrapped them
  /// in its own bookkeeping: with one command per batch, a sixth of the writer thread's time
  /// (`perf`, one caller). Nothing here observes GRDB's transaction events.
  static func transaction(immediate: Bool, _ db: Database, _ body: () throws -> Void) throws {
    try RawStatement(immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED", db).run()
    do {
      try body()
      try RawStatement("COMMIT", db).run()
    } catch {
      if sqlite3_get_autocommit(db.sqliteConnection) == 0 { try? RawStatement("ROLLBACK", db).run() }
      throw error
    }
  }
}
