import Foundation
import Testing

@testable import CreditLedger

/// The ledger's own threads are named, and batch-scheduled so that waking them never
/// preempts a host's thread (`LedgerThread`).
@Suite("Ledger threads")
struct LedgerThreadTests {
  @Test(
    "the writer, the syncers, the projections and the checkpointer are named and SCHED_BATCH by default; batchScheduledThreads false keeps the inherited policy",
    .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/task"), "needs Linux's /proc"),
    arguments: [true, false])
  func namedAndBatch(batchScheduled: Bool) async throws {
    let fixture = try Fixture()
    var configuration = fixture.configuration
    configuration.batchScheduledThreads = batchScheduled
    let ledger = try await Ledger.open(path: fixture.path, configuration: configuration)
    let user = try await ledger.signUp(email: "ada@example.com", as: .service)
    _ = try await ledger.send(
      SendMail(
        userID: user.id, recipientEmail: "bob@example.com", subject: "Hi", content: "<p>Hi</p>",
        mailType: .custom, credits: 1),
      as: .service)
    let threads = try Self.threads()
    await ledger.close()
    // The kernel keeps a thread's first 15 bytes of name. Other tests' ledgers run in this
    // process with their own threads of these names: this ledger's are among them, so a
    // policy no other ledger's threads have must be there — SCHED_OTHER only from this one
    // when it is off, SCHED_BATCH from none when the set-up does not set it.
    let expected = [
      "ledger-writer", "ledger-syncer-0", "ledger-syncer-1", "ledger-projecti", "ledger-checkpoi",
    ]
    let policy = batchScheduled ? Self.schedBatch : Self.schedOther
    for name in expected {
      let policies = threads.filter { $0.name == name }.map(\.policy)
      #expect(policies.contains(policy), "no thread named \(name) with policy \(policy): \(policies)")
    }
  }

  /// Linux's `SCHED_BATCH`.
  static let schedBatch = 3
  /// Linux's `SCHED_OTHER`, the default policy a thread inherits.
  static let schedOther = 0

  /// This process's threads: each one's name and scheduling policy (field 41 of its `stat`).
  static func threads() throws -> [(name: String, policy: Int)] {
    let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
    return tasks.compactMap { task in
      guard let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
        let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { return nil }
      // After the name in brackets: field 3 (the state) onwards, so field 41 is the 39th.
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      guard fields.count > 38, let policy = Int(fields[38]) else { return nil }
      return (name.trimmingCharacters(in: .whitespacesAndNewlines), policy)
    }
  }
}
