import Foundation
import GRDB

/// Checks a ledger file end to end, reading it as any reader does, so it runs beside a
/// live writer: the hash chain over every event, every event's invariants on replay, and
/// the live projections against a replay into a scratch database.
///
/// All of it runs in one read transaction on the file (attached to the scratch connection
/// as `live`, its projections file, if it has one, as `live_projections`), so the chain, the
/// replay and the comparison see one snapshot of each, the projections' taken first. The
/// scratch has only the projection tables: the replay's unqualified `events` is the live log.
enum Verifier {
  static func verify(path: String, notedHead: ChainHash?, progress: ProgressHandler?) async throws
    -> VerifyReport
  {
    guard FileManager.default.fileExists(atPath: path) else { throw LedgerError.ledgerNotFound(path: path) }
    let scratchPath = FileManager.default.temporaryDirectory
      .appendingPathComponent("ledger-verify-\(RandomID.make().lowercased).sqlite").path
    defer { try? FileManager.default.removeItem(atPath: scratchPath) }
    let scratch = try DatabaseQueue(path: scratchPath, configuration: Storage.grdbConfiguration())
    defer { try? scratch.close() }
    return try await scratch.writeWithoutTransaction { db in
      // Thrown away at the end: no journal, no fsync.
      try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536")
      try db.execute(sql: "ATTACH DATABASE ? AS live", arguments: [path])
      guard try db.columns(in: "events", in: "live").contains(where: { $0.name == "hash" }) else {
        throw LedgerError.incompatibleSchema(
          path: path, reason: "it has no hash chain yet: open it once with a writer (any write command)")
      }
      var projections = "live"
      if try !db.tableExists("profiles", in: "live") {
        projections = "live_projections"
        try db.execute(
          sql: "ATTACH DATABASE ? AS live_projections", arguments: [ProjectionStore.path(forLog: path)])
      }
      guard try ProjectionStore.linksMails(db, in: projections) else {
        throw LedgerError.incompatibleSchema(path: path, reason: Storage.unlinkedMailsReason)
      }
      try db.execute(sql: Schema.projectionTablesDDL)
      var report: VerifyReport?
      try db.inTransaction(.deferred) {
        report = try check(db, path: path, projections: projections, notedHead: notedHead, progress: progress)
        return .commit
      }
      return report!
    }
  }

  private static func check(
    _ db: Database, path: String, projections: String, notedHead: ChainHash?, progress: ProgressHandler?
  ) throws -> VerifyReport {
    // The projections' snapshot first: they only hold events the log had before it.
    let checkpoint =
      try Int64.fetchOne(db, sql: "SELECT seq FROM \(projections).projection_checkpoint WHERE id = 1") ?? 0
    let total = try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM live.events") ?? 0
    var report = VerifyReport(ok: false, events: 0, head: .genesis, projectionCheckpoint: checkpoint)
    let chain = try checkChain(db, notedHead: notedHead, total: total, progress: progress)
    report.events = chain.events
    report.head = chain.head
    if let (seq, problem) = chain.failure {
      report.firstBadSeq = seq
      report.problem = problem
      return report
    }
    if checkpoint > chain.events {
      report.problem =
        "the projections hold events up to \(checkpoint), the log ends at \(chain.events): events were removed"
      return report
    }
    var state = LedgerState()
    do {
      // The events through the checkpoint are committed in the file, and never change.
      try Projector.catchUp(&state, db, through: checkpoint, readingLogAt: path) {
        progress?(LedgerProgress(phase: "replay", done: $0, total: total))
      }
      // Events the projections have not reached yet must keep the invariants too.
      try EventLog.forEach(after: checkpoint, withContent: false, db) { try state.apply($0) }
    } catch LedgerError.corruptLog(let seq, let reason) {
      report.firstBadSeq = seq
      report.problem = reason
      return report
    }
    progress?(LedgerProgress(phase: "replay", done: total, total: total))
    if let difference = try firstDifference(db, live: projections) {
      report.firstDifferingRow = difference
      report.problem = "a projection row differs from the replay of the log"
      return report
    }
    report.ok = true
    return report
  }

  /// Recomputes every link in order; stops at the first event whose sequence number or link
  /// is wrong. With `notedHead`, the chain must also pass through it.
  private static func checkChain(
    _ db: Database, notedHead: ChainHash?, total: Int64, progress: ProgressHandler?
  ) throws -> (events: Int64, head: ChainHash, failure: (Int64?, String)?) {
    let rows = try Row.fetchCursor(
      db, sql: "SELECT \(EventLog.columns), hash FROM live.events ORDER BY seq")
    var previous = ChainHash.genesis
    var seen: Int64 = 0
    var passedNoted = notedHead == nil || notedHead == .genesis
    while let row = try rows.next() {
      let seq: Int64 = row[0]
      guard seq == seen + 1 else {
        return (
          seen, previous, (seen + 1, "event \(seen + 1) is missing: the log goes from \(seen) to \(seq)")
        )
      }
      let link = EventLog.link(after: previous, row)
      let stored = (row[6] as Data?).map { [UInt8]($0) }
      guard stored == link.bytes else {
        return (
          seen, previous,
          (seq, "event \(seq) does not match its hash-chain link: it or an event before it was changed")
        )
      }
      if link == notedHead { passedNoted = true }
      previous = link
      seen = seq
      if seen % 8192 == 0 { progress?(LedgerProgress(phase: "chain", done: seen, total: total)) }
    }
    progress?(LedgerProgress(phase: "chain", done: seen, total: total))
    guard passedNoted else {
      return (
        seen, previous,
        (nil, "the noted head \(notedHead!.hex) is not in the chain: history before it was changed")
      )
    }
    return (seen, previous, nil)
  }

  /// Each projection table with the key its rows are told apart by.
  private static let projectionKeys = [
    ("profiles", "id"), ("mails", "seq"), ("mail_ids", "id"), ("user_events", "seq"),
  ]

  /// The first row, by key, that is in the live table and not the replay or the other way.
  /// A file written before `mail_ids` (a backup of an older version) has none to compare.
  private static func firstDifference(_ db: Database, live: String) throws -> String? {
    for (table, key) in projectionKeys where try db.tableExists(table, in: live) {
      let differing = try DatabaseValue.fetchOne(
        db,
        sql: """
          SELECT \(key) FROM (SELECT * FROM main.\(table) EXCEPT SELECT * FROM \(live).\(table))
          UNION SELECT \(key) FROM (SELECT * FROM \(live).\(table) EXCEPT SELECT * FROM main.\(table))
          ORDER BY 1 LIMIT 1
          """)
      guard let differing else { continue }
      let live = try Row.fetchOne(
        db, sql: "SELECT * FROM \(live).\(table) WHERE \(key) = ?", arguments: [differing])
      let replay = try Row.fetchOne(
        db, sql: "SELECT * FROM main.\(table) WHERE \(key) = ?", arguments: [differing])
      return "\(table) \(key)=\(describe(differing)): live \(describe(live)), replay \(describe(replay))"
    }
    return nil
  }

  private static func describe(_ row: Row?) -> String {
    guard let row else { return "(none)" }
    return "{" + row.map { "\($0.0)=\(describe($0.1))" }.joined(separator: ", ") + "}"
  }

  private static func describe(_ value: DatabaseValue) -> String {
    switch value.storage {
    case .blob(let data) where data.count == 16: (UUID.fromDatabaseValue(value)?.lowercased) ?? "\(data)"
    case .string(let text): "\"\(text)\""
    default: value.description
    }
  }
}
