/// How far a long piece of work (rebuild, verify, export, import, a replay) has got.
public struct LedgerProgress: Sendable, Hashable {
  /// What is running: `"chain"`, `"replay"`, `"export"`, `"import"`.
  public var phase: String
  /// Events (or rows) done so far.
  public var done: Int64
  /// Events (or rows) in all; `done` reaches it at the end.
  public var total: Int64

  /// A report of `done` out of `total` in `phase`.
  public init(phase: String, done: Int64, total: Int64) {
    self.phase = phase
    self.done = done
    self.total = total
  }
}

/// Called now and then, on the thread doing the work, while it runs. Keep it cheap.
public typealias ProgressHandler = @Sendable (LedgerProgress) -> Void
