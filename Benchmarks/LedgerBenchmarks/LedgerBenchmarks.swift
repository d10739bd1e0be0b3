import Benchmark
import CreditLedger
import Foundation
import LedgerLoad
import Synchronization

// Run with `swift package benchmark` (add `--filter 'Deductions.*'` for a part). Every ledger
// is a real SQLite file in a temporary folder, durable (synchronous=FULL), 1 KiB bodies.

let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .mallocCountTotal], warmupIterations: 1, maxDuration: .seconds(5),
    maxIterations: 50)
  // Each benchmark's ledgers go when it ends: they are hundreds of megabytes.
  Benchmark.teardown = { await Shared.removeAll() }

  for callers in [1, 8, 32, 256] {
    deductions("Deductions, \(callers) callers, 10,000 users", callers: callers, hot: false)
  }
  deductions("Deductions, 32 callers, one hot user", callers: 32, hot: true)
  deductions("Deductions, 8 callers, one hot user", callers: 8, hot: true)
  insufficientCredits()
  rebuild()
  readsWhileWriting()
  startUp()
  memoryPerUser()
}

/// Deductions per second.
let deductionsPerSecond = BenchmarkMetric.custom("deductions/s", polarity: .prefersLarger)
/// Events replayed per second.
let eventsPerSecond = BenchmarkMetric.custom("events/s", polarity: .prefersLarger)

/// One iteration sends 1,024 mails from `callers` concurrent callers.
func deductions(_ name: String, callers: Int, hot: Bool) {
  Benchmark(name, configuration: .init(metrics: [.wallClock, deductionsPerSecond, .mallocCountTotal])) {
    benchmark in
    let (ledger, users) = try await Shared.ledger(users: hot ? 1 : 10_000)
    let start = ContinuousClock.now
    try await send(ledger, users: users, callers: callers, total: 1024, credits: 1)
    benchmark.measurement(deductionsPerSecond, Int(1024 / seconds(start.duration(to: .now))))
  }
}

/// Sends `total` mails from `callers` concurrent callers, users picked round-robin.
func send(_ ledger: Ledger, users: [UUID], callers: Int, total: Int, credits: Int64) async throws {
  let content = String(repeating: "x", count: 1024)
  try await withThrowingTaskGroup(of: Void.self) { group in
    for caller in 0..<callers {
      group.addTask {
        for n in stride(from: caller, to: total, by: callers) {
          let mail = SendMail(
            userID: users[(n &* 7919) % users.count], recipientEmail: "bob@example.com",
            subject: "Your credits", content: content, mailType: .custom, credits: credits)
          do {
            _ = try await ledger.send(mail, as: .service)
          } catch Rejection.insufficientCredits {}
        }
      }
    }
    try await group.waitForAll()
  }
}

/// The refusal path: every send is short of credits, so nothing is appended.
func insufficientCredits() {
  Benchmark(
    "Insufficient credits, 32 callers",
    configuration: .init(metrics: [.wallClock, deductionsPerSecond, .mallocCountTotal])
  ) { benchmark in
    let (ledger, users) = try await Shared.ledger(users: 10_000)
    let start = ContinuousClock.now
    try await send(ledger, users: users, callers: 32, total: 1024, credits: 2_000_000_000 / 2)
    benchmark.measurement(deductionsPerSecond, Int(1024 / seconds(start.duration(to: .now))))
  }
}

/// Replaying the projections from a log of 100,000 sends over 10,000 users.
func rebuild() {
  Benchmark(
    "Rebuild projections, 10,000 users and 100,000+ sends",
    configuration: .init(metrics: [.wallClock, eventsPerSecond], maxIterations: 5)
  ) {
    benchmark in
    let ledger = try await Shared.bigLedger()
    let report = try await ledger.rebuildProjections()
    benchmark.measurement(eventsPerSecond, Int(report.eventsPerSecond))
  }
}

/// Reads while 32 callers deduct at full speed: a balance, a 50-row history page and a mail by
/// its id, on a concurrent reader (its own connections, as another process would use, opened
/// once); and a balance on the ledger's own reader, which answers from the writer's durable
/// balances.
func readsWhileWriting() {
  readWhileWriting("Balance read while 32 callers write") { reader, user in
    _ = try await reader.balance(userID: user, as: .service)
  }
  readWhileWriting("50-row history page while 32 callers write") { reader, user in
    _ = try await reader.history(userID: user, query: HistoryQuery(limit: 50), as: .service)
  }
  readWhileWriting("Balance read on the ledger's own reader while 32 callers write", ownReader: true) {
    reader, user in
    _ = try await reader.balance(userID: user, as: .service)
  }
  // The ids of 5,000 mails, found through 100 users' histories: a mail's id is its row's key.
  readWhileWriting(
    "A mail by its id while 32 callers write",
    targets: { ledger in
      var ids: [UUID] = []
      for user in (0..<100).map(LoadRun.userID) {
        let page = try await ledger.reader.history(userID: user, query: HistoryQuery(limit: 50), as: .service)
        ids += page.items.map(\.id)
      }
      return ids
    }
  ) { reader, mailID in
    _ = try await reader.mail(id: mailID, as: .service)
  }
}

/// One read of `name`, timed, on a random one of `targets` (the 10,000 users by default).
func readWhileWriting(
  _ name: String, ownReader: Bool = false,
  targets: @escaping @Sendable (Ledger) async throws -> [UUID] = { _ in (0..<10_000).map(LoadRun.userID) },
  read: @escaping @Sendable (LedgerReader, UUID) async throws -> Void
) {
  let load = Mutex<Task<Void, Never>?>(nil)
  let opened = Mutex<(LedgerReader, [UUID])?>(nil)
  Benchmark(
    name, configuration: .init(metrics: [.wallClock], maxDuration: .seconds(5), maxIterations: 5000)
  ) { _ in
    guard let (reader, ids) = opened.withLock({ $0 }) else { preconditionFailure("setup opens the reader") }
    try await read(reader, ids[Int.random(in: 0..<ids.count)])
  } setup: {
    let ledger = try await Shared.bigLedger()
    let users = (0..<10_000).map(LoadRun.userID)
    let ids = try await targets(ledger)
    precondition(!ids.isEmpty, "a read needs something to read")
    let reader = ownReader ? ledger.reader : try LedgerReader.open(path: ledger.path)
    opened.withLock { $0 = (reader, ids) }
    load.withLock {
      $0 = Task {
        while !Task.isCancelled {
          try? await send(ledger, users: users, callers: 32, total: 1024, credits: 1)
        }
      }
    }
  } teardown: {
    let task = load.withLock { $0.take() }
    task?.cancel()
    await task?.value
  }
}

/// Opening a ledger of 100,000 users and 110,000 events, ready to write.
func startUp() {
  Benchmark(
    "Start-up, 100,000 users",
    configuration: .init(metrics: [.wallClock, .peakMemoryResident], maxIterations: 5)
  ) {
    benchmark in
    let path = try await Shared.manyUsersPath()
    benchmark.startMeasurement()
    let ledger = try await Ledger.open(path: path)
    benchmark.stopMeasurement()
    await ledger.close()
  }
}

/// Resident memory the writer adds per user, from opening a ledger of 100,000 users.
func memoryPerUser() {
  let bytesPerUser = BenchmarkMetric.custom("bytes/user", polarity: .prefersSmaller)
  Benchmark("Memory per user, 100,000 users", configuration: .init(metrics: [bytesPerUser], maxIterations: 3))
  {
    benchmark in
    let path = try await Shared.manyUsersPath()
    // Building the shared ledger freed memory that glibc keeps: give it back first, or the
    // open reuses it and the difference reads as nothing (it read 0 bytes a user once).
    trimHeap()
    let before = residentBytes()
    let ledger = try await Ledger.open(path: path)
    // One deduction, so that every copy of the balances the ledger keeps is made.
    _ = try await ledger.send(
      SendMail(
        userID: LoadRun.userID(0), recipientEmail: "r@example.com", subject: "s", content: "c",
        mailType: .custom, credits: 1), as: .service)
    let after = residentBytes()
    await ledger.close()
    benchmark.measurement(bytesPerUser, max(0, (after - before) / 100_000))
  }
}

/// glibc's `malloc_trim(0)`, looked up at run time (Swift's Glibc module lacks `<malloc.h>`).
func trimHeap() {
  typealias Trim = @convention(c) (Int) -> Int32
  guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
  _ = unsafeBitCast(symbol, to: Trim.self)(0)
}

func residentBytes() -> Int {
  let text = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
  let pages = Int(text.split(separator: " ").dropFirst().first ?? "0") ?? 0
  return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

func seconds(_ duration: Duration) -> Double {
  Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Ledgers built once per benchmark process and shared by the benchmarks that need them.
enum Shared {
  private static let ledgers = Mutex<[String: (Ledger, [UUID])]>([:])

  static func folder() -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ledger-benchmarks-\(getpid())")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
  }

  /// Closes the shared ledgers and removes their folder.
  static func removeAll() async {
    let open = ledgers.withLock { ledgers in
      defer { ledgers.removeAll() }
      return ledgers.values
    }
    for (ledger, _) in open { await ledger.close() }
    try? FileManager.default.removeItem(at: folder())
  }

  /// A ledger with `users` users of a billion credits each.
  static func ledger(users: Int) async throws -> (Ledger, [UUID]) {
    let key = "users-\(users)"
    if let open = ledgers.withLock({ $0[key] }) { return open }
    let ledger = try await Ledger.open(path: folder().appendingPathComponent("\(key).sqlite").path)
    var settings = LoadRun.Settings()
    settings.users = users
    settings.hot = users == 1
    let ids = try await LoadRun(settings: settings).prepare(ledger)
    ledgers.withLock { $0[key] = (ledger, ids) }
    return (ledger, ids)
  }

  /// The 10,000-user ledger with 100,000 sends on it.
  static func bigLedger() async throws -> Ledger {
    let (ledger, users) = try await ledger(users: 10_000)
    if ledger.statistics.committedSeq < 100_000 {
      try await send(ledger, users: users, callers: 64, total: 100_000, credits: 1)
    }
    return ledger
  }

  /// A closed ledger file with 100,000 users (and 10,000 sends).
  static func manyUsersPath() async throws -> String {
    let path = folder().appendingPathComponent("many-users.sqlite").path
    if FileManager.default.fileExists(atPath: path) { return path }
    let ledger = try await Ledger.open(path: path)
    var settings = LoadRun.Settings()
    settings.users = 100_000
    let users = try await LoadRun(settings: settings).prepare(ledger)
    try await send(ledger, users: users, callers: 64, total: 10_000, credits: 1)
    await ledger.close()
    return path
  }
}
