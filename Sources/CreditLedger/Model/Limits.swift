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
  /// Most committed events the projections may trail the log by before the writer catches
  /// them up (it also catches up whenever it has nothing else to do).
  public var projectionBatchEventsMax = 8192
  /// Longest the projections may trail the log before the writer catches them up.
  public var projectionLagMax: Duration = .milliseconds(40)
  /// Most events one catch-up transaction projects; the writer commits waiting batches
  /// between such slices.
  public var projectionSliceEventsMax = 1024
  /// Most rows one history page returns.
  public var historyLimitMax = 1000
  /// Most events one audit feed page returns.
  public var eventsLimitMax = 10_000

  /// The default limits.
  public init() {}
}
