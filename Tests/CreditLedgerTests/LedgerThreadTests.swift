import Foundation
import Testing

@testable import CreditLedger

/// The ledger's own threads are named, and batch-scheduled so that waking them never
/// preempts a host's thread (`LedgerThread`).
@Suite("Ledger threads")
struct LedgerThreadTests {
  @Test(
    "the writer, the syncers, the projections and the checkpointer are named and SCHED_BATCH",
    .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/task"), "needs Linux's /proc"))
  func namedAndBatch() async throws {
    let fixture = try Fixture()
    let ledger = try await Ledger.open(path: fixture.path, configuration: fixture.configuration)
    let user = try await ledger.signUp(email: "ada@example.com", as: .service)
    _ = try await ledger.send(
      SendMail(
        userID: user.id, recipientEmail: "bob@example.com", subject: "Hi", content: "<p>Hi</p>",
        mailType: .custom, credits: 1),
      as: .service)
    let threads = try Self.threads()
    await ledger.close()
    // The kernel keeps a thread's first 15 bytes of name.
    let expected = [
      "ledger-writer", "ledger-syncer-0", "ledger-syncer-1", "ledger-projecti", "ledger-checkpoi",
    ]
    for name in expected {
      let policies = threads.filter { $0.name == name }.map(\.policy)
      #expect(!policies.isEmpty, "no thread named \(name)")
      #expect(policies.allSatisfy { $0 == Self.schedBatch }, "\(name) is not SCHED_BATCH: \(policies)")
    }
  }

  /// Linux's `SCHED_BATCH`.
  static let schedBatch = 3

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
