import Foundation
import GRDB

/// How the ledger opens SQLite files.
enum Storage {
  /// WAL (DatabasePool's default), a busy timeout so that a reader process checkpointing at
  /// close never fails a commit, and nothing else: `synchronous` is set after opening.
  static func grdbConfiguration() -> GRDB.Configuration {
    var configuration = GRDB.Configuration()
    configuration.busyMode = .timeout(10)
    configuration.label = "CreditLedger"
    return configuration
  }

  /// Opens an existing ledger for reading only: never creates or migrates a file.
  static func openForReading(path: String) throws -> DatabasePool {
    guard FileManager.default.fileExists(atPath: path) else {
      throw LedgerError.ledgerNotFound(path: path)
    }
    let pool = try DatabasePool(path: path, configuration: grdbConfiguration())
    let known = try pool.read { db in
      try db.tableExists("events") && db.tableExists("profiles") && db.tableExists("mails")
    }
    guard known else {
      throw LedgerError.incompatibleSchema(path: path, reason: "it has no ledger tables")
    }
    let chained = try pool.read { db in try db.columns(in: "events").contains { $0.name == "hash" } }
    guard chained else {
      throw LedgerError.incompatibleSchema(
        path: path,
        reason: "an older version wrote it: open it once with a writer (any write command) to upgrade")
    }
    return pool
  }
}

/// Stored as its raw text; the table's CHECK keeps other values out.
extension MailType: DatabaseValueConvertible {}
