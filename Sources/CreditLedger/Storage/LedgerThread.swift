import CLedgerSQLite
import Foundation

/// The ledger's own threads: the writer, the syncers, the projections, the log's checkpointer
/// and a rebuild's read-ahead.
///
/// Each is scheduled as a batch thread (`SCHED_BATCH`, `ledger_thread_set_up`): when it is
/// woken (a caller's command for the writer, a batch for a syncer), it does not preempt the
/// thread that has the CPU, and runs when that thread's turn ends. Waking them thousands of
/// times a second, a host's threads — a query on a reader, a request being answered — were
/// cut off mid-way: a balance read on a concurrent reader while 32 callers deducted took
/// 35–285 µs at p99 in ten runs of the benchmark (median 78), and 29–93 µs (median 37) with
/// the ledger's threads batch-scheduled. The price is the ledger's own: its round trip waits
/// for a busy CPU's turn, ~3% fewer deductions at 32 callers (−8% to +2% in five sets of
/// alternating runs), p99 0.2–0.5 ms higher; level at 1, 8 and 256 callers. Nothing needs
/// more privilege. A host that would rather have those 3% than its own threads' latency sets
/// ``LedgerConfiguration/batchScheduledThreads`` to false: its ledger's threads then keep the
/// policy they inherit.
enum LedgerThread {
  /// Starts `body` on a new thread called `name`, batch-scheduled if `batch`.
  static func start(_ name: String, batch: Bool, _ body: @escaping @Sendable () -> Void) {
    let thread = Thread {
      _ = ledger_thread_set_up(name, batch ? 1 : 0)
      body()
    }
    thread.name = name
    thread.start()
  }
}
