import Foundation

/// How a ``Ledger`` opens and behaves. The defaults are the durable, production ones.
public struct LedgerConfiguration: Sendable {
  /// SQLite's `synchronous` setting on the writer connection.
  public enum Synchronous: String, Sendable, CaseIterable {
    /// fsync at every commit: a caller told "done" keeps its write through a power loss.
    case full
    /// No fsync at commit in WAL mode: faster, and a power loss may lose acknowledged writes.
    case normal
  }

  /// Durability of each commit; `.full` unless you accept losing acknowledged writes.
  public var synchronous: Synchronous = .full
  /// Credits a new user starts with when the signup names none (the seed's default, 300).
  public var startingCredits: Int64 = 300
  /// How long ``Ledger/open(path:configuration:)`` waits for another writer to let go.
  public var lockTimeout: Duration = .seconds(10)
  /// How long a commit waits for SQLite's write lock when another process holds it (someone
  /// with the `sqlite3` shell, say) before the batch fails with ``LedgerError/storageFailure(_:)``.
  /// The ledger's own processes never hold it against the writer: they take the writer lock.
  public var busyTimeout: Duration = .seconds(10)
  /// Bounds on every input.
  public var limits = Limits()
  /// The time source for events; inject a fixed clock to make tests replay exactly.
  public var clock: @Sendable () -> Date = { Date() }
  /// The id source for new users and mails; inject a seeded one to make tests replay exactly.
  /// A mail's id is the one it gives with the send's sequence number in its last 62 bits
  /// (after the variant), so that the mail is found by its row without an index on ids.
  public var makeID: @Sendable () -> UUID = { RandomID.make() }

  /// Whether the ledger's threads (the writer, the syncers, the projections, the log's
  /// checkpointer) are `SCHED_BATCH` on Linux: woken, they wait for the running thread's turn
  /// to end instead of preempting it, so a host's threads are not cut off mid-way thousands of
  /// times a second (a balance read on a concurrent reader while 32 callers write: p99 median
  /// 37 µs, against 78 without). The ledger pays ~3% of its deductions at 32 callers for it;
  /// false keeps the policy the threads inherit. A replay's read-ahead thread, which readers
  /// start too, is always batch-scheduled.
  public var batchScheduledThreads = true

  /// Called once each batch's callers have been answered, with where its time went (the
  /// queue, the commit, the wait for a sync, the `fdatasync`): for metrics and for finding
  /// where a deduction's time goes. It runs on the thread that answered them — a syncer, or
  /// the writer — after the answers, so no caller waits for it; keep it cheap all the same,
  /// the next answers do.
  public var onBatchAnswered: (@Sendable (BatchTimings) -> Void)?

  /// Called on the writer thread right after each batch commits, with its size, before the
  /// next batch is taken: how tests hold the writer between two batches.
  var onBatchCommittedForTesting: (@Sendable (_ commands: Int) -> Void)?

  /// Replaces `fdatasync` of the WAL, for tests of a failing flush; nil in use.
  var flushForTesting: (@Sendable (Int32) -> Int32)?

  /// The default configuration.
  public init() {}
}
