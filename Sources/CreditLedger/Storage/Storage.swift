import Foundation
import GRDB

/// How the ledger opens SQLite files.
enum Storage {
  /// WAL (DatabasePool's default), a busy timeout so that a reader process checkpointing at
  /// close never fails a commit, and nothing else: `synchronous` is set after opening.
  static func grdbConfiguration(busyTimeout: Duration = .seconds(10)) -> GRDB.Configuration {
    var configuration = GRDB.Configuration()
    configuration.busyMode = .timeout(
      Double(busyTimeout.components.seconds) + Double(busyTimeout.components.attoseconds) / 1e18)
    configuration.label = "CreditLedger"
    return configuration
  }

  /// Opens an existing ledger for reading only: never creates, migrates or changes a file. A
  /// WAL file (a live ledger) gets a pool of readers and up to `inlineCountMax` connections
  /// for short reads in place (``InlineReaders``); a rollback-journal file (a backup) a single
  /// read-only connection, which works on read-only media too.
  ///
  /// A live ledger's projections have a file of their own (``ProjectionStore``): readers
  /// open that file and attach the log as `log`, so a query that reads both takes its
  /// snapshot of the projections first. Those only ever hold events already in the log,
  /// so the log's snapshot, taken after, has every event the projections name.
  static func openForReading(path: String, inlineCountMax: Int) throws -> ReadConnections {
    guard FileManager.default.fileExists(atPath: path) else {
      throw LedgerError.ledgerNotFound(path: path)
    }
    var configuration = grdbConfiguration()
    configuration.readonly = true
    let single = try DatabaseQueue(path: path, configuration: configuration)
    let (hasLog, holdsProjections, chained, linked) = try single.read { db in
      let hasLog = try db.tableExists("events")
      let holdsProjections = try ProjectionStore.holdsProjections(db)
      return (
        hasLog, holdsProjections, try hasLog && db.columns(in: "events").contains { $0.name == "hash" },
        try !holdsProjections || ProjectionStore.linksMails(db)
      )
    }
    try single.close()
    guard hasLog else {
      throw LedgerError.incompatibleSchema(path: path, reason: "it has no ledger tables")
    }
    guard chained else {
      throw LedgerError.incompatibleSchema(
        path: path,
        reason: "an older version wrote it: open it once with a writer (any write command) to upgrade")
    }
    if holdsProjections {
      guard linked else { throw LedgerError.incompatibleSchema(path: path, reason: unlinkedMailsReason) }
      guard try isWAL(path) else {
        return ReadConnections(
          database: try DatabaseQueue(path: path, configuration: configuration), inline: nil)
      }
      return ReadConnections(
        database: try DatabasePool(path: path, configuration: configuration),
        inline: InlineReaders(countMax: inlineCountMax) { [configuration] in
          try DatabaseQueue(path: path, configuration: configuration)
        })
    }
    let projections = ProjectionStore.path(forLog: path)
    guard FileManager.default.fileExists(atPath: projections) else {
      throw LedgerError.incompatibleSchema(
        path: path,
        reason: "its projections file \(projections) is missing: open it with a writer to rebuild it")
    }
    let projectionsFile = try DatabaseQueue(path: projections, configuration: configuration)
    let projectionsLinked = try projectionsFile.read { try ProjectionStore.linksMails($0) }
    try projectionsFile.close()
    guard projectionsLinked else {
      throw LedgerError.incompatibleSchema(path: path, reason: unlinkedMailsReason)
    }
    configuration.prepareDatabase { db in
      try db.execute(sql: "ATTACH DATABASE ? AS log", arguments: [path])
      try db.execute(sql: Schema.userMailsTempViewDDL)
    }
    return ReadConnections(
      database: try DatabasePool(path: projections, configuration: configuration),
      inline: InlineReaders(countMax: inlineCountMax) { [configuration] in
        try DatabaseQueue(path: projections, configuration: configuration)
      })
  }

  /// Why a reader refuses projections that an older version wrote.
  static let unlinkedMailsReason =
    "its projections predate the mail chain: open it once with a writer (any write command) to upgrade"

  /// What ``openForReading(path:inlineCountMax:)`` opened: a pool for long reads, and
  /// connections for short ones on the caller's thread (none for a file without a WAL).
  struct ReadConnections: Sendable {
    var database: any DatabaseReader
    var inline: InlineReaders?
  }

  /// Whether the file's header says WAL (bytes 18 and 19 are 2).
  private static func isWAL(_ path: String) throws -> Bool {
    guard let file = FileHandle(forReadingAtPath: path) else {
      throw LedgerError.storageFailure("cannot read \(path)")
    }
    defer { try? file.close() }
    let header = try file.read(upToCount: 20) ?? Data()
    return header.count == 20 && header[18] == 2
  }
}

/// Stored as its raw text; the table's CHECK keeps other values out.
extension MailType: DatabaseValueConvertible {}
