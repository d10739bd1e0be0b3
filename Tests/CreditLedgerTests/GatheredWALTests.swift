import Foundation
import GRDB
import GRDBSQLite
import Testing

@testable import CreditLedger

/// The `credit-ledger` VFS (`LedgerVFS.c`), which writes a transaction's WAL frames in one
/// call: every commit is in the file, whole, before a reader can see it, and nothing it holds
/// back ever lands over another connection's frames.
@Suite("Gathered WAL writes")
struct GatheredWALTests {
  @Test("the ledger's writing connections go through it, for any file name")
  func ledgerUsesIt() async throws {
    #expect(Storage.gatheredWALWrites, "this SQLite reads URIs and has the unix VFS")
    let fixture = try Fixture()
    let path = fixture.folder.appendingPathComponent("a b?c#d%e é.sqlite").path
    let ledger = try await Ledger.open(path: path, configuration: fixture.configuration)
    let user = try await ledger.signUp(email: "ada@example.com", as: .service)
    let vfs = try await ledger.pool.write { try Self.vfsName($0) }
    #expect(vfs.hasPrefix("credit-ledger/"))
    await ledger.close()
    let files = try FileManager.default.contentsOfDirectory(atPath: fixture.folder.path)
    #expect(files.contains("a b?c#d%e é.sqlite"))
    #expect(files.contains("a b?c#d%e é.sqlite-projections"))
    #expect(!files.contains { $0.hasPrefix("file:") })
    let reopened = try await Ledger.open(path: path, configuration: fixture.configuration)
    #expect(try await reopened.reader.balance(userID: user.id, as: .service).credits == 300)
    await reopened.close()
  }

  @Test("a transaction larger than the buffer commits whole, and another connection reads it")
  func largeTransaction() throws {
    let path = try Self.freshPath()
    let writer = try Self.openGathering(path)
    try writer.write { db in
      try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
      // 6 MB in one commit: the buffer (120 KiB) fills fifty times before the commit frame.
      for n in 0..<3000 {
        try db.execute(
          sql: "INSERT INTO t (n, payload) VALUES (?, ?)",
          arguments: [n, Data(repeating: UInt8(n % 251), count: 2000)])
      }
    }
    let (count, bytes, wrong, check) = try DatabaseQueue(path: path).read { db in
      (
        try Int.fetchOne(db, sql: "SELECT count(*) FROM t"),
        try Int.fetchOne(db, sql: "SELECT sum(length(payload)) FROM t"),
        try Int.fetchOne(
          db, sql: "SELECT count(*) FROM t WHERE hex(substr(payload, 1000, 1)) != printf('%02X', n % 251)"),
        try String.fetchOne(db, sql: "PRAGMA integrity_check")
      )
    }
    #expect(count == 3000)
    #expect(bytes == 6_000_000)
    #expect(wrong == 0)
    #expect(check == "ok")
  }

  @Test("frames of a rolled-back transaction written early never overwrite another writer's commit")
  func rolledBackSpill() throws {
    let path = try Self.freshPath()
    let spiller = try Self.openGathering(path)
    try spiller.write { db in
      try db.execute(sql: "CREATE TABLE t (who TEXT NOT NULL, payload BLOB NOT NULL)")
    }
    // An empty WAL: the rollback below then reads the pages it undoes from the database
    // file, not the WAL, so nothing but the end of the transaction writes what it held back.
    try spiller.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    // Dirty pages written to the WAL in the middle of a transaction (what a cache spill does;
    // `sqlite3_db_cacheflush` does it on demand), which the VFS holds back; then a rollback.
    try spiller.writeWithoutTransaction { db in
      try db.execute(sql: "BEGIN IMMEDIATE")
      for _ in 0..<100 {
        try db.execute(
          sql: "INSERT INTO t VALUES ('rolled back', ?)", arguments: [Data(repeating: 7, count: 2000)])
      }
      let code = sqlite3_db_cacheflush(db.sqliteConnection)
      try db.execute(sql: "ROLLBACK")
      if code != SQLITE_OK { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
    }
    let other = try DatabaseQueue(path: path)
    try other.write { db in
      for _ in 0..<20 {
        try db.execute(sql: "INSERT INTO t VALUES ('other', ?)", arguments: [Data(repeating: 1, count: 2000)])
      }
    }
    try spiller.write { db in
      try db.execute(sql: "INSERT INTO t VALUES ('spiller', ?)", arguments: [Data(repeating: 2, count: 2000)])
    }
    let (check, rows) = try DatabaseQueue(path: path).read { db in
      (
        try String.fetchOne(db, sql: "PRAGMA integrity_check"),
        try Row.fetchAll(
          db,
          sql:
            "SELECT who, count(*) AS n, min(payload) = max(payload) AS same FROM t GROUP BY who ORDER BY who")
      )
    }
    #expect(check == "ok")
    #expect(rows.map { $0["who"] as String } == ["other", "spiller"])
    #expect(rows.map { $0["n"] as Int } == [20, 1])
    #expect(rows.allSatisfy { $0["same"] as Bool })
  }

  @Test(
    "a write the disk refuses fails the commit, and every earlier commit stays whole",
    .enabled(if: TmpfsMount.permitted, "needs permission to mount a tmpfs"))
  func fullDisk() throws {
    let mount = try TmpfsMount(bytes: 2 << 20)
    defer { mount.unmount() }
    let path = mount.path + "/full.sqlite"
    let writer = try Self.openGathering(path)
    try writer.write { db in try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, payload BLOB)") }
    var committed = 0
    var failure: (any Error)?
    for n in 0..<200 {
      do {
        try writer.write { db in
          try db.execute(
            sql: "INSERT INTO t VALUES (?, ?)", arguments: [n, Data(repeating: 3, count: 100_000)])
        }
        committed += 1
      } catch {
        failure = error
        break
      }
    }
    #expect(failure != nil, "2 MB cannot hold 200 commits of 100 kB")
    #expect(committed > 0)
    try mount.remount("size=\(64 << 20)")
    let (check, count) = try DatabaseQueue(path: path).read { db in
      (
        try String.fetchOne(db, sql: "PRAGMA integrity_check"),
        try Int.fetchOne(db, sql: "SELECT count(*) FROM t")
      )
    }
    #expect(check == "ok")
    #expect(count == committed)
  }

  private static func freshPath() throws -> String {
    try Fixture().folder.appendingPathComponent("gathered.sqlite").path
  }

  private static func openGathering(_ path: String) throws -> DatabaseQueue {
    let queue = try DatabaseQueue(path: Storage.writingFilename(path))
    let vfs = try queue.writeWithoutTransaction { db in
      try db.execute(sql: "PRAGMA journal_mode = WAL")
      return try vfsName(db)
    }
    #expect(vfs.hasPrefix("credit-ledger/"))
    return queue
  }

  /// The VFS a connection's main file was opened with, as SQLite names it.
  private static func vfsName(_ db: Database) throws -> String {
    var name: UnsafeMutablePointer<CChar>?
    let code = sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_VFSNAME, &name)
    defer { sqlite3_free(name) }
    guard code == SQLITE_OK, let name else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
    return String(cString: name)
  }
}
