/// Counters of the single writer: how well group commit is batching, and how far the
/// projections trail the log.
public struct WriterStatistics: Sendable, Hashable {
  /// Transactions handled (one fsync each when they appended anything).
  public var batches: Int
  /// Commands handled, accepted or rejected.
  public var commands: Int
  /// Commands waiting for the next batch right now.
  public var queueDepth: Int
  /// The last committed sequence number.
  public var committedSeq: Int64
  /// The last sequence number the projections hold.
  public var projectedSeq: Int64

  /// Commands per batch on average.
  public var averageBatchSize: Double { batches == 0 ? 0 : Double(commands) / Double(batches) }
}
