import CreditLedger
import Foundation
import Testing

/// The promise behind every acknowledgement: kill the writer at any moment and nothing it
/// acknowledged is lost, nothing it did not is half-applied, and the log replays to the tables.
///
/// `LEDGER_CRASH_CYCLES` sets the number of kills (20 by default; the long run uses more).
@Suite("Crash safety: SIGKILL under load loses nothing acknowledged", .serialized)
struct CrashTests {
  static let cycles = Int(ProcessInfo.processInfo.environment["LEDGER_CRASH_CYCLES"] ?? "") ?? 20

  @Test("kill -9 a loaded writer again and again; after each restart every acknowledged send is there")
  func killCycles() async throws {
    let cli = try CLI()
    let acks = cli.folder.appendingPathComponent("acks.txt").path
    var generator = SeededGenerator(seed: 42)
    var checked = 0
    var killedWithAcks = 0
    for cycle in 0..<Self.cycles {
      let before = try Self.lines(acks).count
      // Every other kill counts from the process's start, so it may land while the ledger
      // opens or recovers; the others from its first acknowledgement, so that at least half
      // land under load however slowly a loaded machine starts the process.
      try Self.killWhileLoaded(
        cli, acks: acks, after: .milliseconds(Int.random(in: 250...700, using: &generator)),
        acknowledgedFirst: !cycle.isMultiple(of: 2))
      let acknowledged = try Self.lines(acks)
      if acknowledged.count > before { killedWithAcks += 1 }
      let ledger = try await Ledger.open(path: cli.path)
      let stored = Set(try await Self.mails(ledger).map { "\($0.id.lowercased) \($0.userID.lowercased)" })
      let lost = acknowledged[checked...].filter {
        !stored.contains(String($0.split(separator: " ").prefix(2).joined(separator: " ")))
      }
      #expect(lost.isEmpty, "acknowledged but missing after the restart: \(lost.prefix(3))")
      checked = acknowledged.count
      try await Self.expectProjectionsMatchReplay(ledger)
      await ledger.close()
      let verified = try await LedgerReader.open(path: cli.path).verify(as: .service)
      #expect(verified.ok, "verify after a kill: \(verified.problem ?? "")")
    }
    #expect(checked > 0, "no send was acknowledged before the kills")
    #expect(killedWithAcks >= Self.cycles / 2, "most kills should land while sends are acknowledged")
    let ledger = try await Ledger.open(path: cli.path)
    let before = try await Self.dump(ledger)
    _ = try await ledger.rebuildProjections()
    #expect(try await Self.dump(ledger) == before, "rebuild from the log gives the same tables")
    #expect(!before.isEmpty)
    await ledger.close()
  }

  @Test("a torn last WAL frame after a kill: the ledger opens and the log still replays to the tables")
  func tornWAL() async throws {
    let cli = try CLI()
    let acks = cli.folder.appendingPathComponent("acks.txt").path
    // Killed only once sends are acknowledged: on a loaded machine the process may take longer
    // than any fixed delay to create the ledger, and there would be no WAL to tear.
    try Self.killWhileLoaded(cli, acks: acks, after: .milliseconds(300), acknowledgedFirst: true)
    let wal = cli.path + "-wal"
    let size = (try FileManager.default.attributesOfItem(atPath: wal)[.size] as? NSNumber)?.intValue ?? 0
    #expect(size > 4096, "the kill left a WAL behind")
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: wal))
    try handle.truncate(atOffset: UInt64(max(0, size - 1000)))
    try handle.close()
    let ledger = try await Ledger.open(path: cli.path)
    try await Self.expectProjectionsMatchReplay(ledger)
    await ledger.close()
    #expect(try await LedgerReader.open(path: cli.path).verify(as: .service).ok)
  }

  /// Starts `ledger bench` on the file, kills it with SIGKILL after `delay` — counted from the
  /// first new acknowledgement when `acknowledgedFirst` (waiting up to a minute for it).
  static func killWhileLoaded(
    _ cli: CLI, acks: String, after delay: Duration, acknowledgedFirst: Bool = false
  ) throws {
    let before = try lines(acks).count
    let process = Process()
    process.executableURL = CLI.binary
    process.arguments = [
      "bench", "--db", cli.path, "--users", "20", "--concurrency", "8", "--duration", "30", "--ack-file",
      acks,
    ]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try CLI.launch(process)
    let deadline = Date().addingTimeInterval(60)
    while acknowledgedFirst, try lines(acks).count <= before, Date() < deadline, process.isRunning {
      Thread.sleep(forTimeInterval: 0.01)
    }
    Thread.sleep(
      forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }

  static func lines(_ path: String) throws -> [Substring] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    // A line cut by the kill has no newline yet: only whole lines were acknowledged in full.
    return text.split(separator: "\n", omittingEmptySubsequences: true).filter {
      $0.split(separator: " ").count == 3
    }
  }

  /// Every user's balance, in the writer's memory and in the projection, equals the replay of
  /// the log (which also checks every event's invariants).
  static func expectProjectionsMatchReplay(_ ledger: Ledger) async throws {
    let replayed = try await ledger.reader.balances(asOf: .seq(.max), as: .service)
    await ledger.waitForProjections()
    let projection = try LedgerReader.open(path: ledger.path)
    for balance in replayed {
      #expect(try await ledger.reader.balance(userID: balance.userID, as: .service) == balance)
      #expect(try await projection.balance(userID: balance.userID, as: .service) == balance)
    }
  }

  /// Every mail of every live user, through the ledger's reader.
  static func mails(_ ledger: Ledger) async throws -> [Mail] {
    var mails: [Mail] = []
    for balance in try await ledger.reader.balances(asOf: .seq(.max), as: .service) {
      var cursor: String?
      repeat {
        let page = try await ledger.reader.history(
          userID: balance.userID, query: HistoryQuery(limit: 1000, cursor: cursor), as: .service)
        mails += page.items
        cursor = page.nextCursor
      } while cursor != nil
    }
    return mails
  }

  /// Every profile and every mail, as text.
  static func dump(_ ledger: Ledger) async throws -> [String] {
    var rows: [String] = []
    for balance in try await ledger.reader.balances(asOf: .seq(.max), as: .service) {
      rows.append(String(describing: try await ledger.reader.profile(userID: balance.userID, as: .service)))
    }
    return rows + (try await mails(ledger)).map { String(describing: $0) }
  }
}
