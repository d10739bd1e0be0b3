import CreditLedger
import Foundation
import GRDB
import Synchronization

/// A ledger in a fresh temporary folder, with a clock and an id source that replay exactly.
struct Fixture {
  let folder: URL
  let path: String
  let configuration: LedgerConfiguration

  /// Every fixture's folder sits in one folder per test process, removed when the process
  /// exits: a test may drop its fixture while its ledger is still open.
  static let root: URL = {
    atexit { try? FileManager.default.removeItem(at: Fixture.root) }
    return FileManager.default.temporaryDirectory.appendingPathComponent("ledger-tests-\(getpid())")
  }()

  init(startingCredits: Int64 = 300) throws {
    folder = Self.root.appendingPathComponent(UUID().uuidString.lowercased())
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    path = folder.appendingPathComponent("ledger.sqlite").path
    var configuration = LedgerConfiguration()
    let tick = Mutex<Int64>(1_764_000_000_000)
    configuration.clock = {
      Date(
        timeIntervalSince1970: Double(
          tick.withLock {
            $0 += 1
            return $0
          }) / 1000)
    }
    let counter = Mutex<UInt64>(0)
    configuration.makeID = {
      Fixture.id(
        counter.withLock {
          $0 += 1
          return $0
        })
    }
    configuration.startingCredits = startingCredits
    configuration.lockTimeout = .milliseconds(300)
    self.configuration = configuration
  }

  /// The n-th id the seeded source hands out.
  static func id(_ n: UInt64) -> UUID {
    UUID(uuidString: String(format: "00000000-0000-4000-8000-%012llx", n))!
  }

  func open() async throws -> Ledger {
    try await Ledger.open(path: path, configuration: configuration)
  }

  /// Opens the ledger with the fixture's configuration as `configure` changes it.
  func open(configuring configure: (inout LedgerConfiguration) -> Void) async throws -> Ledger {
    var configuration = configuration
    configure(&configuration)
    return try await Ledger.open(path: path, configuration: configuration)
  }

  /// Deletes the projections file and its WAL and shared memory, as if it had been lost.
  func removeProjectionsFile() {
    for suffix in ["", "-wal", "-shm"] {
      try? FileManager.default.removeItem(atPath: path + "-projections" + suffix)
    }
  }

  /// Runs `sql` on the projections file alone, the ledger closed: to make it look like another
  /// build's, or to tamper with it.
  func alterProjectionsFile(_ sql: String) async throws {
    let projections = try DatabaseQueue(path: path + "-projections")
    try await projections.writeWithoutTransaction { try $0.execute(sql: sql) }
    try projections.close()
  }

  /// A raw GRDB connection to the same file, to look at (or tamper with) what is stored.
  func raw() throws -> DatabaseQueue {
    try Self.raw(path: path)
  }

  /// A raw connection to any ledger file, with its projections file attached when it has
  /// one (unqualified table names reach both), and the `user_mails` view over the two.
  static func raw(path: String) throws -> DatabaseQueue {
    let projections = path + "-projections"
    guard FileManager.default.fileExists(atPath: projections) else { return try DatabaseQueue(path: path) }
    var configuration = Configuration()
    configuration.prepareDatabase { db in
      guard try !db.tableExists("profiles", in: "main") else { return }
      try db.execute(sql: "ATTACH DATABASE ? AS projections", arguments: [projections])
      try db.execute(
        sql: """
          CREATE TEMP VIEW user_mails AS
            SELECT m.id, m.user_id, m.recipient_email, m.subject,
              json_extract(e.payload, '$.content') AS content, m.mail_type, m.credits_used,
              m.credits_refunded, m.sent_at, m.seq
            FROM mails m JOIN events e ON e.seq = m.seq
          """)
    }
    return try DatabaseQueue(path: path, configuration: configuration)
  }

  func eventCount() throws -> Int {
    try raw().read { try Int.fetchOne($0, sql: "SELECT count(*) FROM events") ?? -1 }
  }

  /// Every row of the projections, as text, in a fixed order: to compare tables exactly.
  func projectionDump() throws -> [String] {
    try Self.projectionDump(path: path)
  }

  /// The same for any ledger file.
  static func projectionDump(path: String) throws -> [String] {
    try raw(path: path).read { db in
      let profiles = try Row.fetchAll(db, sql: "SELECT * FROM profiles ORDER BY id")
      let mails = try Row.fetchAll(db, sql: "SELECT * FROM user_mails ORDER BY seq")
      let userEvents = try Row.fetchAll(db, sql: "SELECT * FROM user_events ORDER BY user_id, seq")
      let chain = try Row.fetchAll(db, sql: "SELECT seq, prev_seq FROM mails ORDER BY seq")
      return (profiles + mails + userEvents + chain).map(\.description)
    }
  }

  static func mail(
    to userID: UUID, credits: Int64 = 1, subject: String = "Hello", type: MailType = .custom,
    recipient: String = "bob@example.com"
  ) -> SendMail {
    SendMail(
      userID: userID, recipientEmail: recipient, subject: subject,
      content: "<p>Hi Bob</p>", mailType: type, credits: credits)
  }
}

extension Fixture {
  /// Another file in the same fixture's folder, with the same clock and ids.
  init(existing: Fixture, path: String) {
    folder = existing.folder
    self.path = path
    configuration = existing.configuration
  }
}
