import CreditLedger
import Foundation
import GRDB
import Synchronization
import Testing

@Suite("Replays read the log ahead, on a thread of their own")
struct ReadAheadTests {
  /// The fixture's configuration with replays in chunks of three events, so that a history
  /// of a dozen is read ahead in four chunks.
  static func smallChunks(_ configuration: inout LedgerConfiguration) {
    configuration.limits.replayChunkEventsMax = 3
  }

  @Test("a rebuild read ahead in chunks gives identical tables, and verify agrees")
  func rebuildInChunks() async throws {
    let fixture = try Fixture()
    let ledger = try await fixture.open(configuring: Self.smallChunks)
    _ = try await ProjectionTests.populate(ledger)
    await ledger.waitForProjections()
    let before = try fixture.projectionDump()
    let reported = Mutex<[Int64]>([])
    let report = try await ledger.rebuildProjections { progress in
      reported.withLock { $0.append(progress.done) }
    }
    #expect(report.events == 12)
    #expect(reported.withLock { $0 } == [3, 6, 9, 12], "one progress report per chunk")
    #expect(try fixture.projectionDump() == before)
    await ledger.close()
    #expect(try await HashChainTests.verify(fixture).ok)
  }

  @Test("projections lost: start-up replays the log read ahead, to the same tables and balances")
  func startUpInChunks() async throws {
    let fixture = try Fixture()
    var ledger = try await fixture.open()
    let (kept, _) = try await ProjectionTests.populate(ledger)
    await ledger.close()
    let before = try fixture.projectionDump()
    fixture.removeProjectionsFile()
    ledger = try await fixture.open(configuring: Self.smallChunks)
    #expect(try await ledger.reader.balance(userID: kept, as: .service).credits == 328)
    await ledger.close()
    #expect(try fixture.projectionDump() == before)
  }

  @Test(
    "an event that breaks an invariant mid-log fails the rebuild at its seq, the reader chunks ahead stops; the old tables stay"
  )
  func corruptEventStopsReadAhead() async throws {
    let fixture = try Fixture()
    var ledger = try await fixture.open()
    let (kept, _) = try await ProjectionTests.populate(ledger)
    // Enough events after the bad one that the reading thread waits, two chunks ahead.
    for _ in 0..<40 { _ = try await ledger.send(Fixture.mail(to: kept), as: .service) }
    await ledger.close()
    let before = try fixture.projectionDump()
    // The ninth event is the grant of 40: make it record a balance the replay cannot reach.
    try HashChainTests.tamper(
      fixture,
      "UPDATE events SET payload = replace(payload, '\"credits_after\":328', '\"credits_after\":999') WHERE seq = 9"
    )
    ledger = try await fixture.open(configuring: Self.smallChunks)
    let thrown = await #expect(throws: LedgerError.self) { try await ledger.rebuildProjections() }
    guard case .corruptLog(let seq, _) = thrown else {
      Issue.record("expected corruptLog, got \(String(describing: thrown))")
      return
    }
    #expect(seq == 9)
    #expect(try fixture.projectionDump() == before)
    // The reading thread ended: the ledger goes on and closes.
    #expect(try await ledger.reader.balance(userID: kept, as: .service).credits == 288)
    await ledger.close()
  }
}
