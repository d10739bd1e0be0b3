/// Counters of the single writer: how well group commit is batching, and how far the
/// projections trail the log.
public struct WriterStatistics: Sendable, Hashable {
  /// Append transactions committed.
  public var batches: Int
  /// Commands handled, accepted or rejected.
  public var commands: Int
  /// Commands waiting for the next batch right now.
  public var queueDepth: Int
  /// The last committed sequence number.
  public var committedSeq: Int64
  /// The last sequence number the projections hold.
  public var projectedSeq: Int64
  /// The last sequence number known durable (its WAL frames flushed): every caller answered
  /// so far has its event at or before it.
  public var durableSeq: Int64
  /// `fdatasync` calls of the WAL so far: fewer than batches when batches committed while the
  /// previous sync ran.
  public var syncs: Int
  /// How long the oldest committed event the projections do not hold yet has waited since
  /// its batch committed: zero when they hold every one. Sampled over time, its peaks are
  /// the lag a query of the projections can see.
  public var projectionLag: Duration

  /// Commands per batch on average.
  public var averageBatchSize: Double { batches == 0 ? 0 : Double(commands) / Double(batches) }
}
