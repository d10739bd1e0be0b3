/// Where one batch's time went, from its oldest command's arrival in the writer's queue to
/// its callers' answers: what ``LedgerConfiguration/onBatchAnswered`` hears.
///
/// The stages follow one another, so `queued + commit + syncWait + sync` is at most
/// `answered`; what is left is the wait for earlier syncs to answer first (answers go out in
/// commit order) and the resuming of the batch's callers.
public struct BatchTimings: Sendable, Hashable {
  /// Commands in the batch, accepted or refused.
  public var commands: Int
  /// How long its oldest command waited in the queue before the writer took the batch:
  /// mostly the batch before it being committed.
  public var queued: Duration
  /// The writer's transaction: the rules, the events' encoding and hash chain, and SQLite's
  /// append. The writer's connection never fsyncs, so no disk wait is in it.
  public var commit: Duration
  /// From the commit to the start of the `fdatasync` that covered the batch: a syncer thread
  /// waking up, or the syncs already running (at most ``Limits/syncsInFlightMax``).
  public var syncWait: Duration
  /// That `fdatasync` of the WAL; zero when the batch needed none (it appended nothing, or
  /// the ledger runs with `synchronous=normal`).
  public var sync: Duration
  /// From its oldest command's arrival to its callers being answered: the longest round trip
  /// inside the ledger of any command in it.
  public var answered: Duration

  /// Timings with these stages (a host's tests of its metrics make their own).
  public init(
    commands: Int, queued: Duration, commit: Duration, syncWait: Duration, sync: Duration, answered: Duration
  ) {
    self.commands = commands
    self.queued = queued
    self.commit = commit
    self.syncWait = syncWait
    self.sync = sync
    self.answered = answered
  }

  /// Sets ``answered`` for callers answered at `now`, the batch having committed at
  /// `committed`: the queue and the commit, then everything since (the writer and the
  /// syncers both answer, and must count it the same way).
  mutating func answer(committed: ContinuousClock.Instant, at now: ContinuousClock.Instant) {
    answered = queued + commit + committed.duration(to: now)
  }
}
