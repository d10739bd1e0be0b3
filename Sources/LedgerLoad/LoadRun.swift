import CreditLedger
import Foundation
import Synchronization

/// A closed-loop load on a ledger: `concurrency` callers, each sending a mail as soon as its
/// last one was answered, for `duration`. Shared by `ledger bench` and the benchmarks.
public struct LoadRun: Sendable {
  /// What to run.
  public struct Settings: Sendable, Hashable {
    /// Callers sending at once.
    public var concurrency = 32
    /// How long to send.
    public var duration: Duration = .seconds(10)
    /// Users the sends spread over, uniformly.
    public var users = 10_000
    /// Size of each mail's HTML body.
    public var bodyBytes = 1024
    /// Put every caller on one user.
    public var hot = false
    /// Credits each send costs.
    public var creditsPerSend: Int64 = 1
    /// Credits each user starts with.
    public var startingCredits: Int64 = 1_000_000_000

    /// The defaults: 32 callers, 10 s, 10,000 users, 1 KiB bodies.
    public init() {}
  }

  /// What a run measured.
  public struct Report: Sendable, Encodable {
    /// Accepted deductions per second.
    public var deductionsPerSecond: Double
    /// Accepted deductions in all.
    public var deductions: Int
    /// Sends refused (insufficient credits).
    public var rejected: Int
    /// Latency percentiles of accepted sends, milliseconds.
    public var p50Milliseconds: Double
    /// 99th percentile.
    public var p99Milliseconds: Double
    /// 99.9th percentile.
    public var p999Milliseconds: Double
    /// The largest.
    public var maxMilliseconds: Double
    /// Commands per commit, on average.
    public var averageBatchSize: Double
    /// How long events waited to reach the projections after their commit, 99th percentile,
    /// milliseconds (sampled every 2 ms).
    public var projectionLagP99Milliseconds: Double
    /// The longest such wait seen.
    public var projectionLagMaxMilliseconds: Double
    /// The seconds the load ran.
    public var seconds: Double
    /// The settings it ran with.
    public var concurrency: Int
    /// Users.
    public var users: Int
    /// Body size.
    public var bodyBytes: Int
    /// All on one user.
    public var hot: Bool
    /// Where the deductions' time went inside the ledger, when the run was given a
    /// ``BatchStages`` its ledger reports to.
    public var stages: Stages?

    enum CodingKeys: String, CodingKey {
      case deductionsPerSecond = "deductions_per_second"
      case deductions, rejected, seconds, concurrency, users, hot
      case p50Milliseconds = "p50_ms"
      case p99Milliseconds = "p99_ms"
      case p999Milliseconds = "p999_ms"
      case maxMilliseconds = "max_ms"
      case averageBatchSize = "average_batch_size"
      case bodyBytes = "body_bytes"
      case projectionLagP99Milliseconds = "projection_lag_p99_ms"
      case projectionLagMaxMilliseconds = "projection_lag_max_ms"
      case stages = "stages_ms"
    }
  }

  /// A deduction's round trip inside the ledger, stage by stage (``BatchTimings``), in
  /// milliseconds, each batch counted once for every command in it.
  public struct Stages: Sendable, Encodable {
    /// Waiting for the writer to take the batch (its oldest command's wait).
    public var queued: Stage
    /// The writer's transaction.
    public var commit: Stage
    /// From the commit to the start of its `fdatasync`.
    public var syncWait: Stage
    /// The `fdatasync`.
    public var fdatasync: Stage
    /// From arriving to being answered.
    public var answered: Stage

    enum CodingKeys: String, CodingKey {
      case queued, commit, fdatasync, answered
      case syncWait = "sync_wait"
    }
  }

  /// One stage's mean and 99th percentile, milliseconds.
  public struct Stage: Sendable, Encodable {
    /// The mean.
    public var mean: Double
    /// The 99th percentile.
    public var p99: Double

    init(_ histogram: Histogram) {
      mean = histogram.mean
      p99 = histogram.percentile(0.99)
    }
  }

  /// The settings.
  public var settings: Settings

  /// A run with these settings.
  public init(settings: Settings) { self.settings = settings }

  /// Signs up the users (unless the ledger has them already) and returns their ids.
  public func prepare(_ ledger: Ledger) async throws -> [UUID] {
    let count = settings.hot ? 1 : settings.users
    let ids = (0..<count).map { Self.userID($0) }
    try await withThrowingTaskGroup(of: Void.self) { group in
      for (index, id) in ids.enumerated() {
        if index >= 64 { try await group.next() }
        group.addTask {
          do {
            _ = try await ledger.signUp(
              email: "user\(index)@example.com", userID: id, credits: settings.startingCredits,
              as: .service)
          } catch Rejection.userAlreadyExists {}
        }
      }
      try await group.waitForAll()
    }
    return ids
  }

  /// The n-th load user's id: fixed, so a run on an existing `--db` reuses its users.
  public static func userID(_ n: Int) -> UUID {
    UUID(uuidString: String(format: "10ad0000-0000-4000-8000-%012x", n))!
  }

  /// Runs the load; `progress` is called about once a second with (elapsed s, deductions so
  /// far), and `acknowledged` with each receipt as soon as its send returns. With `stages`,
  /// which the ledger must report its batches to, the report says where the time went.
  public func run(
    _ ledger: Ledger, users: [UUID], progress: @escaping @Sendable (Double, Int) -> Void = { _, _ in },
    acknowledged: (@Sendable (UUID, MailReceipt) -> Void)? = nil, stages: BatchStages? = nil
  ) async throws -> Report {
    let body = String(repeating: "<p>credit ledger</p>", count: settings.bodyBytes / 20 + 1)
      .prefix(settings.bodyBytes)
    let content = String(body)
    let done = Counter()
    let before = ledger.statistics
    let start = ContinuousClock.now
    let deadline = start + settings.duration
    let reporter = Task {
      while !Task.isCancelled {
        try await Task.sleep(for: .seconds(1))
        progress(Self.seconds(start.duration(to: .now)), done.value.load(ordering: .relaxed))
      }
    }
    let lagSampler = Task { await Self.sampleProjectionLag(ledger) }
    stages?.recording(true)
    let perCaller = try await withThrowingTaskGroup(of: (Histogram, Int).self) { group in
      for caller in 0..<settings.concurrency {
        group.addTask {
          try await callerLoop(
            ledger, users: users, caller: caller, content: content, deadline: deadline, done: done,
            acknowledged: acknowledged)
        }
      }
      return try await group.reduce(into: [(Histogram, Int)]()) { $0.append($1) }
    }
    stages?.recording(false)
    reporter.cancel()
    lagSampler.cancel()
    let lags = await lagSampler.value
    let elapsed = Self.seconds(start.duration(to: .now))
    let after = ledger.statistics
    var latencies = Histogram()
    for (callerLatencies, _) in perCaller { latencies.merge(callerLatencies) }
    let batches = after.batches - before.batches
    return Report(
      deductionsPerSecond: Double(latencies.total) / elapsed, deductions: latencies.total,
      rejected: perCaller.reduce(0) { $0 + $1.1 },
      p50Milliseconds: latencies.percentile(0.50), p99Milliseconds: latencies.percentile(0.99),
      p999Milliseconds: latencies.percentile(0.999), maxMilliseconds: latencies.max,
      averageBatchSize: batches == 0 ? 0 : Double(after.commands - before.commands) / Double(batches),
      projectionLagP99Milliseconds: lags.percentile(0.99),
      projectionLagMaxMilliseconds: lags.max, seconds: elapsed, concurrency: settings.concurrency,
      users: users.count, bodyBytes: settings.bodyBytes, hot: settings.hot, stages: stages?.summary)
  }

  private func callerLoop(
    _ ledger: Ledger, users: [UUID], caller: Int, content: String, deadline: ContinuousClock.Instant,
    done: Counter, acknowledged: (@Sendable (UUID, MailReceipt) -> Void)?
  ) async throws -> (Histogram, Int) {
    var generator = SeededGenerator(seed: UInt64(caller))
    var latencies = Histogram()
    var rejected = 0
    while ContinuousClock.now < deadline {
      let user = users[Int(generator.next() % UInt64(users.count))]
      let mail = SendMail(
        userID: user, recipientEmail: "bob@example.com", subject: "Your credits",
        content: content, mailType: .custom, credits: settings.creditsPerSend)
      let sent = ContinuousClock.now
      do {
        let receipt = try await ledger.send(mail, as: .service)
        acknowledged?(user, receipt)
        latencies.record(Self.milliseconds(sent.duration(to: .now)))
        done.value.add(1, ordering: .relaxed)
      } catch Rejection.insufficientCredits {
        rejected += 1
      }
    }
    return (latencies, rejected)
  }

  /// Every 2 ms, reads how long the oldest event the projections do not hold yet has waited
  /// (``WriterStatistics/projectionLag``, stamped by the ledger when its batch committed, so
  /// a sample taken late is not a longer lag). Returns the samples in milliseconds, once
  /// cancelled.
  static func sampleProjectionLag(_ ledger: Ledger) async -> Histogram {
    var lags = Histogram()
    while !Task.isCancelled {
      lags.record(milliseconds(ledger.statistics.projectionLag))
      try? await Task.sleep(for: .milliseconds(2))
    }
    return lags
  }

  static func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
  }

  static func milliseconds(_ duration: Duration) -> Double { seconds(duration) * 1000 }
}

/// Deductions done so far, shared by the callers and the progress reporter.
final class Counter: Sendable {
  let value = Atomic<Int>(0)
}
