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
  /// Projection catch-ups that failed since the ledger opened (a full disk, the projections
  /// file locked from outside). Each is retried; acknowledged writes are in the log either way.
  public var projectionFailures: Int
  /// Why the last catch-up failed, while none has committed since; nil when the projections
  /// are moving. Set, with a growing ``projectionLag``: the projections are stuck.
  public var projectionFailure: String?

  /// Commands per batch on average.
  public var averageBatchSize: Double { batches == 0 ? 0 : Double(commands) / Double(batches) }
}
