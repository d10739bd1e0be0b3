import Foundation
import GRDB

extension LedgerReader {
  /// Writes a table (``ExportTable``) to `output` as NDJSON or CSV, from one read snapshot,
  /// and returns the rows written. The projections are exported as of their checkpoint;
  /// the ledger's own reader first waits for its writes. Service only.
  @discardableResult
  public func export(
    _ table: ExportTable, format: ExportFormat, to output: FileHandle, as principal: Principal,
    progress: ProgressHandler? = nil
  ) async throws -> Int64 {
    guard principal == .service else { throw Rejection.notPermitted("export needs the service role") }
    await freshness?()
    return try await database.read { db in
      let total =
        try Int64.fetchOne(
          db,
          sql: table == .events
            ? "SELECT coalesce(max(seq), 0) FROM events" : "SELECT count(*) FROM \(table.rawValue)")
        ?? 0
      var writer = ExportWriter(output: output)
      let columns = table.columns
      if format == .csv { writer.csvLine(columns.map { "\($0.name)" }) }
      var rows: Int64 = 0
      let cursor = try Row.fetchCursor(db, sql: table.sql)
      while let row = try cursor.next() {
        let values = columns.indices.map { ExportTable.text(row[$0], columns[$0].kind) }
        switch format {
        case .ndjson: writer.jsonLine(columns, values)
        case .csv: writer.csvLine(values)
        }
        rows += 1
        if rows % 8192 == 0 {
          try writer.flush()
          progress?(LedgerProgress(phase: "export", done: rows, total: total))
        }
      }
      try writer.flush()
      progress?(LedgerProgress(phase: "export", done: rows, total: rows))
      return rows
    }
  }
}

/// Buffers export lines and writes them out in large pieces.
struct ExportWriter {
  let output: FileHandle
  private var buffer: [UInt8] = []

  init(output: FileHandle) {
    self.output = output
    buffer.reserveCapacity(1 << 20)
  }

  mutating func jsonLine(_ columns: [(name: StaticString, kind: ExportTable.Kind)], _ values: [String?]) {
    var json = JSONText()
    for (column, value) in zip(columns, values) {
      if column.kind == .integer {
        json.field(column.name, value.flatMap { Int64($0) })
      } else {
        json.field(column.name, value)
      }
    }
    buffer.append(contentsOf: json.finish())
    buffer.append(UInt8(ascii: "\n"))
  }

  mutating func csvLine(_ values: [String?]) {
    for (index, value) in values.enumerated() {
      if index > 0 { buffer.append(UInt8(ascii: ",")) }
      guard let value else { continue }
      if value.utf8.contains(where: { $0 == 0x22 || $0 == 0x2C || $0 == 0x0A || $0 == 0x0D }) {
        buffer.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
          if byte == 0x22 { buffer.append(0x22) }
          buffer.append(byte)
        }
        buffer.append(UInt8(ascii: "\""))
      } else {
        buffer.append(contentsOf: value.utf8)
      }
    }
    buffer.append(contentsOf: [0x0D, 0x0A])
  }

  mutating func flush() throws {
    guard !buffer.isEmpty else { return }
    try output.write(contentsOf: buffer)
    buffer.removeAll(keepingCapacity: true)
  }
}
