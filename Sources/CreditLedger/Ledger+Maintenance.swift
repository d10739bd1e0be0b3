import Foundation

/// What ``Ledger/rebuildProjections()`` did.
public struct RebuildReport: Sendable, Hashable, Encodable {
  /// Events replayed.
  public var events: Int64
  /// Wall time in seconds.
  public var seconds: Double
  /// Events per second.
  public var eventsPerSecond: Double

  enum CodingKeys: String, CodingKey {
    case events, seconds
    case eventsPerSecond = "events_per_second"
  }
}

extension Ledger {
  /// Drops `profiles` and `user_mails` and replays the whole log into new ones, in one
  /// transaction: readers see the old tables until the new ones are complete.
  ///
  /// It runs on the projections' thread while the writer goes on appending, replays up to
  /// the durable end of the log (checking every event's invariants), and the events after it
  /// follow as usual.
  public func rebuildProjections(progress: ProgressHandler? = nil) async throws -> RebuildReport {
    let start = ContinuousClock.now
    let events = try await writer.rebuild(progress: progress)
    let elapsed = start.duration(to: .now)
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return RebuildReport(
      events: events, seconds: seconds, eventsPerSecond: seconds > 0 ? Double(events) / seconds : 0)
  }
}
