import CreditLedger
import Testing

@testable import LedgerLoad

@Suite("Batch stages: counted only while a run records, each batch once for each of its commands")
struct BatchStagesTests {
  func timings(commands: Int, milliseconds: Int) -> BatchTimings {
    let stage = Duration.milliseconds(milliseconds)
    return BatchTimings(
      commands: commands, queued: stage, commit: stage, syncWait: stage, sync: stage, answered: stage * 5)
  }

  @Test("batches before and after the run are left out; the means are per command")
  func recordsWhileRunning() {
    let stages = BatchStages()
    stages.record(timings(commands: 1, milliseconds: 1_000))
    stages.recording(true)
    stages.record(timings(commands: 3, milliseconds: 1))
    stages.record(timings(commands: 1, milliseconds: 5))
    stages.recording(false)
    stages.record(timings(commands: 1, milliseconds: 1_000))
    let summary = stages.summary
    // (3 × 1 ms + 1 × 5 ms) / 4 commands.
    for stage in [summary.queued, summary.commit, summary.syncWait, summary.fdatasync] {
      #expect(abs(stage.mean - 2) < 1e-9)
      #expect(stage.p99 == 5)
    }
    #expect(abs(summary.answered.mean - 10) < 1e-9)
  }
}
