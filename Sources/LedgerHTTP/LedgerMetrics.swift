import CreditLedger
import Foundation
import Hummingbird
import Prometheus
import Synchronization

/// The server's Prometheus metrics, in a registry of its own (no global bootstrap, so several
/// servers can live in one process, as the tests run them): deductions accepted and rejected,
/// batch sizes, where each batch's time went (queue, commit, `fdatasync`, round trip), writer
/// queue depth, projection lag and failed catch-ups, database size.
public final class LedgerMetrics: Sendable {
  private let registry = PrometheusCollectorRegistry()
  private let accepted: Counter
  private let batchSize: ValueHistogram
  private let queued: DurationHistogram
  private let commitLatency: DurationHistogram
  private let sync: DurationHistogram
  private let answered: DurationHistogram
  private let queueDepth: Gauge
  private let databaseBytes: Gauge
  private let committedSeq: Gauge
  private let projectedSeq: Gauge
  private let projectionLag: Gauge
  private let projectionFailures: Counter
  /// The ledger's count of failed catch-ups when the counter was last brought up to it.
  private let projectionFailuresCounted = Mutex(0)
  private let projectionStuck: Gauge

  /// A new registry with the ledger's metrics.
  public init() {
    accepted = registry.makeCounter(
      descriptor: Self.name("deductions_accepted", "total", "Sends that deducted credits"))
    batchSize = registry.makeValueHistogram(
      descriptor: Self.name("batch", "commands", "Commands per group commit"),
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096])
    queued = Self.batchHistogram(
      registry, "queued", "How long each batch's oldest command waited for the writer to take it")
    commitLatency = Self.batchHistogram(
      registry, "commit",
      "The writer's transaction for each batch (no fsync in it: see ledger_fdatasync_seconds)")
    sync = Self.batchHistogram(
      registry, "fdatasync",
      "The fdatasync of the WAL that made each batch durable (one may cover several batches; none for a batch that appended nothing)"
    )
    answered = Self.batchHistogram(
      registry, "answered", "From each batch's oldest command arriving to its callers answered")
    queueDepth = registry.makeGauge(
      descriptor: Self.name("writer_queue_depth", nil, "Commands waiting for the writer"))
    databaseBytes = registry.makeGauge(
      descriptor: Self.name("database", "bytes", "Database file and WAL size"))
    committedSeq = registry.makeGauge(descriptor: Self.name("committed_seq", nil, "Last committed event"))
    projectedSeq = registry.makeGauge(
      descriptor: Self.name("projected_seq", nil, "Last event in the projections"))
    projectionLag = registry.makeGauge(
      descriptor: Self.name(
        "projection_lag", "seconds", "How long the oldest event not in the projections yet has waited"))
    projectionFailures = registry.makeCounter(
      descriptor: Self.name(
        "projection_failures", "total", "Projection catch-ups that failed (each is retried)"))
    projectionStuck = registry.makeGauge(
      descriptor: Self.name(
        "projection_stuck", nil, "1 while the last projection catch-up failed and none has committed since"))
  }

  private static func name(_ metric: String, _ unit: String?, _ help: String) -> MetricNameDescriptor {
    MetricNameDescriptor(
      namespace: "ledger", subsystem: nil, metricName: metric, unitName: unit ?? "", helpText: help)
  }

  private static func batchHistogram(
    _ registry: PrometheusCollectorRegistry, _ metric: String, _ help: String
  ) -> DurationHistogram {
    registry.makeDurationHistogram(
      descriptor: name(metric, "seconds", help),
      buckets: [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
      ])
  }

  /// For ``LedgerConfiguration/onBatchAnswered``.
  public func batchAnswered(_ timings: BatchTimings) {
    batchSize.record(Double(timings.commands))
    queued.record(timings.queued)
    commitLatency.record(timings.commit)
    if timings.sync > .zero { sync.record(timings.sync) }
    answered.record(timings.answered)
  }

  func deductionAccepted() { accepted.increment() }

  func deductionRejected(_ reason: String) {
    registry.makeCounter(
      descriptor: Self.name("deductions_rejected", "total", "Sends refused"), labels: [("reason", reason)]
    ).increment()
  }

  /// The text exposition, with the gauges read now.
  func exposition(ledger: Ledger) -> Response {
    let statistics = ledger.statistics
    queueDepth.set(Int64(statistics.queueDepth))
    committedSeq.set(statistics.committedSeq)
    projectedSeq.set(statistics.projectedSeq)
    projectionLag.set(statistics.projectionLag / .seconds(1))
    let newFailures = projectionFailuresCounted.withLock { counted in
      defer { counted = max(counted, statistics.projectionFailures) }
      return statistics.projectionFailures - counted
    }
    if newFailures > 0 { projectionFailures.increment(by: Int64(newFailures)) }
    projectionStuck.set(Int64(statistics.projectionFailure == nil ? 0 : 1))
    databaseBytes.set(ledger.storageBytes)
    var buffer: [UInt8] = []
    registry.emit(into: &buffer)
    return Response(
      status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
  }
}
