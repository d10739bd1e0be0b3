import Foundation
import GRDB

/// What ``Ledger/importEvents(from:to:force:lockTimeout:progress:)`` built.
public struct ImportReport: Sendable, Hashable, Encodable {
  /// Events imported.
  public var events: Int64
  /// The new ledger's chain head: the export's last link.
  public var head: ChainHash
  /// Wall time in seconds, verification included.
  public var seconds: Double

  enum CodingKeys: String, CodingKey { case events, head, seconds }
}

extension Ledger {
  /// Builds a new ledger at `path` from an event export (``ExportTable/events``, NDJSON):
  /// every line checked as the writer would (``EventImporter``), the projections replayed,
  /// the result verified, and only then moved into place. Refuses an existing `path` unless
  /// `force`, and a `path` whose writer is running (``LedgerError/ledgerInUse(path:holder:)``).
  public static func importEvents(
    from source: String, to path: String, force: Bool = false, lockTimeout: Duration = .seconds(10),
    progress: ProgressHandler? = nil
  ) async throws -> ImportReport {
    let start = ContinuousClock.now
    guard let input = FileHandle(forReadingAtPath: source) else {
      throw Rejection.invalidField(field: "events", reason: "cannot read \(source)")
    }
    defer { try? input.close() }
    let (importer, _) = try await installVerified(
      at: path, force: force, lockTimeout: lockTimeout, suffix: ".importing", progress: progress
    ) { partial in
      let total = try Self.countLines(source)
      let queue = try DatabaseQueue(path: partial, configuration: Storage.grdbConfiguration())
      try Schema.migrator.migrate(queue)
      let importer = try await queue.writeWithoutTransaction { db in
        // Nothing is acknowledged until the finished file is flushed and renamed into place.
        try db.execute(sql: "PRAGMA synchronous = OFF; PRAGMA cache_size = -65536")
        let importer = try Self.appendLines(of: input, total: total, db, progress: progress)
        try db.inTransaction {
          do {
            _ = try Projector.rebuild(db, withView: true)
          } catch LedgerError.corruptLog(let seq, let reason) {
            // The n-th line is event n: the importer refused any other numbering.
            throw Rejection.invalidField(field: "events", reason: "line \(seq) \(reason)")
          }
          return .commit
        }
        return importer
      }
      try queue.close()
      return (importer, importer.head)
    }
    let elapsed = start.duration(to: .now)
    return ImportReport(
      events: importer.lastSeq, head: importer.head,
      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
  }

  /// Reads the export a megabyte at a time and appends its lines, 65,536 to a transaction.
  private static func appendLines(
    of input: FileHandle, total: Int64, _ db: Database, progress: ProgressHandler?
  ) throws -> EventImporter {
    var importer = EventImporter()
    var carry: [UInt8] = []
    var number = 0
    try db.execute(sql: "BEGIN")
    func line(_ bytes: ArraySlice<UInt8>) throws {
      number += 1
      guard let text = String(bytes: bytes, encoding: .utf8) else {
        throw Rejection.invalidField(field: "events", reason: "line \(number) is not UTF-8")
      }
      try importer.append(text, number: number, db)
      if number % 65_536 == 0 {
        try db.execute(sql: "COMMIT; BEGIN")
        progress?(LedgerProgress(phase: "import", done: Int64(number), total: total))
      }
    }
    do {
      while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
        carry.append(contentsOf: chunk)
        var from = carry.startIndex
        while let newline = carry[from...].firstIndex(of: 0x0A) {
          try line(carry[from..<newline])
          from = newline + 1
        }
        carry.removeSubrange(..<from)
      }
      if !carry.isEmpty { try line(carry[...]) }
      try db.execute(sql: "COMMIT")
    } catch {
      try? db.execute(sql: "ROLLBACK")
      throw error
    }
    guard number > 0 else {
      throw Rejection.invalidField(field: "events", reason: "the export has no events")
    }
    progress?(LedgerProgress(phase: "import", done: Int64(number), total: total))
    return importer
  }

  private static func countLines(_ path: String) throws -> Int64 {
    guard let input = FileHandle(forReadingAtPath: path) else { return 0 }
    defer { try? input.close() }
    var count: Int64 = 0
    while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
      count += Int64(chunk.reduce(into: 0) { $0 += $1 == 0x0A ? 1 : 0 })
    }
    return count
  }
}
