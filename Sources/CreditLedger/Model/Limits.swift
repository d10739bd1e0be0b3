/// A bound on everything the ledger accepts, so that no input can make it do unbounded work.
///
/// Units come last in each name. The defaults suit Mail Assist; a host may tighten them.
public struct Limits: Sendable, Hashable {
  /// Longest email address (RFC 5321 caps a path at 256; 320 is the common upper bound).
  public var emailBytesMax = 320
  /// Longest subject line.
  public var subjectBytesMax = 998
  /// Largest HTML body of one mail.
  public var contentBytesMax = 512 * 1024
  /// Longest reason on a grant.
  public var reasonBytesMax = 500
  /// Longest idempotency key.
  public var idempotencyKeyBytesMax = 255
  /// Most credits one command may move (send, grant, refund, starting credits).
  public var creditsPerCommandMax: Int64 = 1_000_000_000
  /// Highest balance one user may hold; a grant past it is refused, so sums never overflow.
  public var creditsBalanceMax: Int64 = 1_000_000_000_000
  /// Most commands the writer commits in one transaction.
  public var batchCommandsMax = 4096
  /// Most events one projection catch-up applies; a catch-up starts at once when this many
  /// durable events wait.
  public var projectionBatchEventsMax = 8192
  /// Most users whose newest mail the projections thread remembers between catch-ups, so as
  /// not to look it up in `profiles` again (about 40 bytes each); past it, it starts over.
  public var projectionKnownUsersMax = 65_536
  /// Time from the start of one projection catch-up to the next, while events wait: the
  /// projections trail the log by about this plus two catch-ups. Longer makes larger,
  /// cheaper catch-ups; a read through a ``Ledger`` never waits this long for its own writes.
  public var projectionLagMax: Duration = .milliseconds(10)
  /// Most events a replay (a rebuild, start-up replaying lost projections, verify) decodes
  /// and applies at a time. A replay longer than one chunk reads and decodes the log on a
  /// thread of its own, at most two chunks ahead of the one being written.
  public var replayChunkEventsMax = 8192
  /// Most committed events that may wait for the projections: the writer stops appending
  /// until they catch up (a full disk under the projections file, a host that starves them).
  public var projectionBacklogEventsMax = 65_536
  /// Most the projections may trail the log (``WriterStatistics/projectionLag``) before the
  /// writer holds its next batch until they catch up: on a host whose cores the writer and
  /// its callers keep busy, the projections thread would otherwise fall further behind.
  /// Callers wait meanwhile, and the next batch is larger. Projections that stopped
  /// committing for four times this (a lock held from outside) do not hold the writer.
  public var projectionLagHoldMax: Duration = .milliseconds(25)
  /// How long the writer, its queue empty after a batch of one command, keeps looking at it
  /// before it sleeps. A lone caller answered a moment ago is back within this with its next
  /// command, which then needs no wake-up of a sleeping thread (two on this path: the
  /// caller's signal, the writer's return from the kernel). After larger batches the writer
  /// sleeps at once, so that callers answered together gather into one batch. Zero: never
  /// spin.
  public var writerIdleSpinMax: Duration = .microseconds(100)
  /// How long the caller of a lone command, answered as its batch's `fdatasync` starts, looks
  /// for that sync to return before it suspends (`DurabilityWait`): its task is back on a
  /// thread when the sync returns, instead of being woken after it. Its call returns only
  /// once the batch is durable either way. Zero: lone callers are answered after the sync.
  public var loneCallerSpinMax: Duration = .microseconds(500)
  /// Most `fdatasync` calls of the log's WAL running at once, each on a thread of its own:
  /// batches committed while one runs start the next instead of waiting for it to return.
  /// One makes each sync wait for the one before it.
  public var syncsInFlightMax = 2
  /// Length of the log's WAL at which the checkpointer makes the next commit start it over
  /// (a RESTART checkpoint). Under steady load it would otherwise grow without end; past
  /// this it is reused, and writes over existing blocks sync faster than appends.
  public var walBytesMax: Int64 = 16 << 20
  /// How much of a checkpoint's copy of the log's pages into its file goes to the disk at a
  /// time: the checkpointer waits for each step before it starts the next, so that the
  /// `fdatasync` of a batch never queues behind a second's worth of pages (they held it for
  /// 30–150 ms when the checkpoint's closing `fsync` sent them all at once). Zero: no steps.
  public var checkpointWriteBackStepBytes: Int64 = 1 << 20
  /// Most read connections of a reader that run short queries (a balance, a profile, a
  /// history page) on the caller's thread; further concurrent reads go through the pool.
  public var inlineReadConnectionsMax = 4
  /// Most rows one history page returns.
  public var historyLimitMax = 1000
  /// Most events one audit feed page returns.
  public var eventsLimitMax = 10_000

  /// The default limits.
  public init() {}
}
