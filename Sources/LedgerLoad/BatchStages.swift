import CreditLedger
import Synchronization

/// Where the deductions' time went during a load, stage by stage: collects the
/// ``BatchTimings`` a ledger reports (``LedgerConfiguration/onBatchAnswered``) while a
/// ``LoadRun`` runs, each counted once for every command of its batch, so that the means add
/// up to a deduction's round trip inside the ledger.
public final class BatchStages: Sendable {
  private struct State: ~Copyable {
    var recording = false
    var queued = Histogram()
    var commit = Histogram()
    var syncWait = Histogram()
    var sync = Histogram()
    var answered = Histogram()
  }

  private let state = Mutex(State())

  /// Nothing recorded yet; recording starts with the run.
  public init() {}

  /// For ``LedgerConfiguration/onBatchAnswered``: counts a batch if the run is recording.
  public func record(_ timings: BatchTimings) {
    let weight = timings.commands
    state.withLock { state in
      guard state.recording else { return }
      state.queued.record(LoadRun.milliseconds(timings.queued), weight: weight)
      state.commit.record(LoadRun.milliseconds(timings.commit), weight: weight)
      state.syncWait.record(LoadRun.milliseconds(timings.syncWait), weight: weight)
      state.sync.record(LoadRun.milliseconds(timings.sync), weight: weight)
      state.answered.record(LoadRun.milliseconds(timings.answered), weight: weight)
    }
  }

  /// Starts counting (batches of the signups before it are left out), or stops.
  func recording(_ on: Bool) {
    state.withLock { $0.recording = on }
  }

  /// The stages counted so far.
  var summary: LoadRun.Stages {
    state.withLock { state in
      LoadRun.Stages(
        queued: .init(state.queued), commit: .init(state.commit), syncWait: .init(state.syncWait),
        fdatasync: .init(state.sync), answered: .init(state.answered))
    }
  }
}
