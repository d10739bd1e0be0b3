import Foundation
import GRDB
import GRDBSQLite

/// Binds and steps one of GRDB's cached statements through SQLite's C API.
///
/// For the statements the writer runs once per event (the append, and the projection's
/// inserts), GRDB's `execute(arguments:)` boxed every argument and turned each UUID into a
/// `Data`: more instructions and allocations than SQLite's own work on the row.
struct RawStatement {
  private let statement: GRDB.Statement
  private let db: Database
  private var handle: OpaquePointer { statement.sqliteStatement }

  /// Prepares (once per connection) and resets the statement for `sql`.
  init(_ sql: String, _ db: Database) throws {
    statement = try db.cachedStatement(sql: sql)
    self.db = db
    sqlite3_reset(statement.sqliteStatement)
  }

  func bind(_ index: Int32, _ value: Int64) {
    sqlite3_bind_int64(handle, index, value)
  }

  func bind(_ index: Int32, _ value: Int64?) {
    guard let value else {
      sqlite3_bind_null(handle, index)
      return
    }
    sqlite3_bind_int64(handle, index, value)
  }

  func bind(_ index: Int32, _ value: String?) {
    guard var value else {
      sqlite3_bind_null(handle, index)
      return
    }
    // The string's own UTF-8, with its length: passing the String as a C string made a
    // null-terminated copy of it first. (The writer's payload does not come this way: see
    // run(text:at:).)
    value.withUTF8 { bytes in
      // An empty buffer may have no address, which SQLite would bind as NULL.
      let start = UnsafeRawPointer(bytes.baseAddress ?? Self.empty.utf8Start)
      _ = sqlite3_bind_text(
        handle, index, start.assumingMemoryBound(to: CChar.self), Int32(bytes.count), Self.transient)
    }
  }

  func bind(_ index: Int32, _ value: UUID) {
    withUnsafeBytes(of: value.uuid) { bytes in
      _ = sqlite3_bind_blob(handle, index, bytes.baseAddress, 16, Self.transient)
    }
  }

  func bind(_ index: Int32, _ value: [UInt8]) {
    value.withUnsafeBytes { bytes in
      _ = sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), Self.transient)
    }
  }

  /// Binds `bytes` as text at `index` where they are, without SQLite's copy of them
  /// (`SQLITE_STATIC`), runs the statement, and unbinds them: one call, so that the bytes
  /// outlive every use SQLite makes of them.
  func run(text bytes: UnsafeBufferPointer<UInt8>, at index: Int32) throws {
    let start = UnsafeRawPointer(bytes.baseAddress ?? Self.empty.utf8Start)
    sqlite3_bind_text(handle, index, start.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
    defer { sqlite3_bind_null(handle, index) }
    try run()
  }

  /// Runs a query for one integer: the first row's first column, nil for NULL or no row.
  func int64() throws -> Int64? {
    let code = sqlite3_step(handle)
    defer { sqlite3_reset(handle) }
    switch code {
    case SQLITE_ROW:
      return sqlite3_column_type(handle, 0) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, 0)
    case SQLITE_DONE:
      return nil
    default:
      throw DatabaseError(
        resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: statement.sql)
    }
  }

  /// Runs the statement to completion; throws SQLite's error as GRDB reports errors.
  func run() throws {
    let code = sqlite3_step(handle)
    sqlite3_reset(handle)
    guard code == SQLITE_DONE else {
      throw DatabaseError(
        resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: statement.sql)
    }
  }

  /// A valid address for an empty text.
  private static let empty: StaticString = ""

  /// SQLite copies the bound bytes (`SQLITE_TRANSIENT`), so Swift's buffers may go right away.
  private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
