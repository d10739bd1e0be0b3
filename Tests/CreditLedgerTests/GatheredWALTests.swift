import CLedgerSQLite
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
    let (vfs, allocates) = try await ledger.pool.write {
      (try Self.vfsName($0), ledger_sqlite3_vfs_allocates(UnsafeMutableRawPointer($0.sqliteConnection)))
    }
    #expect(vfs.hasPrefix("credit-ledger/"))
    #expect(allocates == 1, "the VFS did not find the file's descriptor: checkpoints allocate page by page")
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

  @Test(
    "a checkpoint's pages, gathered, reach the database file whole, passive or complete, written back in steps or not",
    arguments: ["PASSIVE", "TRUNCATE"], [0, 4096, 1 << 20])
  func checkpointCopies(mode: String, writeBackStepBytes: Int64) throws {
    let path = try Self.freshPath()
    let writer = try Self.openGathering(path)
    try writer.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
    try Self.fill(writer, rows: 0..<3000)
    // Another connection of the VFS checkpoints, as the ledger's checkpointer does.
    let checkpointer = try Self.openGathering(path)
    if writeBackStepBytes > 0 {
      let set = checkpointer.writeWithoutTransaction {
        ledger_sqlite3_vfs_write_back_checkpoints(
          UnsafeMutableRawPointer($0.sqliteConnection), writeBackStepBytes)
      }
      #expect(set == 1, "the checkpoints were not written back in steps")
    }
    try checkpointer.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(\(mode))") }
    #expect(try Self.rowsInDatabaseFile(path) == 3000, "the copy did not reach the database file")
    try writer.close()
    try checkpointer.close()
    try Self.expectRows(path, count: 3000)
  }

  @Test("steps of writeback are set only on a file the VFS opened, and only for a positive step")
  func writeBackSteps() throws {
    let path = try Self.freshPath()
    let gathering = try Self.openGathering(path)
    let plain = try DatabaseQueue(path: path)
    let (onGathering, zero, onPlain) = gathering.writeWithoutTransaction { db in
      let gatheringConnection = UnsafeMutableRawPointer(db.sqliteConnection)
      let plainConnection = plain.writeWithoutTransaction { UnsafeMutableRawPointer($0.sqliteConnection) }
      return (
        ledger_sqlite3_vfs_write_back_checkpoints(gatheringConnection, 1 << 20),
        ledger_sqlite3_vfs_write_back_checkpoints(gatheringConnection, 0),
        ledger_sqlite3_vfs_write_back_checkpoints(plainConnection, 1 << 20)
      )
    }
    #expect(onGathering == 1)
    #expect(zero == 0)
    #expect(onPlain == 0, "a file of SQLite's own VFS has no steps to take")
  }

  @Test(
    "a checkpoint the disk cannot hold fails, and the file and the WAL still hold every commit",
    .enabled(if: TmpfsMount.permitted, "needs permission to mount a tmpfs"))
  func checkpointOnFullDisk() throws {
    let mount = try TmpfsMount(bytes: 16 << 20)
    defer { mount.unmount() }
    let path = mount.path + "/full.sqlite"
    let writer = try Self.openGathering(path)
    try writer.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
    try Self.fill(writer, rows: 0..<3000)
    // The WAL holds ~6 MB; leave the disk less than the copy needs.
    let filler = mount.path + "/filler"
    try Data(count: 7 << 20).write(to: URL(fileURLWithPath: filler))
    let checkpointer = try Self.openGathering(path)
    #expect(throws: DatabaseError.self) {
      try checkpointer.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }
    try Self.expectRows(path, count: 3000)
    try FileManager.default.removeItem(atPath: filler)
    try checkpointer.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    #expect(try Self.rowsInDatabaseFile(path) == 3000)
    try writer.close()
    try checkpointer.close()
    try Self.expectRows(path, count: 3000)
  }

  /// 2,000-byte rows, 200 a commit, each filled with a byte its `n` decides.
  private static func fill(_ queue: DatabaseQueue, rows: Range<Int>) throws {
    try queue.write { try $0.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, payload BLOB NOT NULL)") }
    for start in stride(from: rows.lowerBound, to: rows.upperBound, by: 200) {
      try queue.write { db in
        for n in start..<min(start + 200, rows.upperBound) {
          try db.execute(
            sql: "INSERT INTO t (n, payload) VALUES (?, ?)",
            arguments: [n, Data(repeating: UInt8(n % 251), count: 2000)])
        }
      }
    }
  }

  /// Reads the file through SQLite's own VFS: `count` rows as ``fill(_:rows:)`` wrote them.
  private static func expectRows(_ path: String, count: Int) throws {
    let (rows, wrong, check) = try DatabaseQueue(path: path).read { db in
      (
        try Int.fetchOne(db, sql: "SELECT count(*) FROM t"),
        try Int.fetchOne(
          db, sql: "SELECT count(*) FROM t WHERE hex(substr(payload, 1999, 1)) != printf('%02X', n % 251)"),
        try String.fetchOne(db, sql: "PRAGMA integrity_check")
      )
    }
    #expect(rows == count)
    #expect(wrong == 0)
    #expect(check == "ok")
  }

  /// Rows of `t` in the database file alone, the WAL aside: a copy of the file read without it.
  private static func rowsInDatabaseFile(_ path: String) throws -> Int {
    let copy = path + ".alone"
    try? FileManager.default.removeItem(atPath: copy)
    try FileManager.default.copyItem(atPath: path, toPath: copy)
    defer { try? FileManager.default.removeItem(atPath: copy) }
    return try DatabaseQueue(path: copy).read { db in
      guard try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok" else { return -1 }
      return try Int.fetchOne(db, sql: "SELECT count(*) FROM t") ?? 0
    }
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
