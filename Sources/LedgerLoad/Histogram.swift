import Foundation

/// Values (milliseconds) counted in buckets 1% wide, from 1 µs to 1,000 s: the same ~16 KB
/// however long a run lasts (a list of every latency of an hour at 150,000 deductions a
/// second would be 4 GB), and a percentile read from it within 1% of the exact one.
struct Histogram: Sendable {
  /// The lower edge of the first bucket, milliseconds.
  private static let lowest = 0.001
  /// Each bucket's upper edge over its lower one.
  private static let growth = 1.01
  private static let bucketCount = Int((log(1_000_000 / lowest) / log(growth)).rounded(.up))

  private var counts = [Int](repeating: 0, count: Histogram.bucketCount)
  /// Values of zero or less (no time at all), below every bucket.
  private var zeros = 0
  private var sum = 0.0
  /// How many values, each counted with its weight.
  private(set) var total = 0
  /// The largest value, exactly.
  private(set) var max = 0.0

  /// Counts `value`, `weight` times (a batch's stage, once for each of its commands).
  mutating func record(_ value: Double, weight: Int = 1) {
    total += weight
    sum += value * Double(weight)
    max = Swift.max(max, value)
    guard value > 0 else {
      zeros += weight
      return
    }
    let index = Int(log(Swift.max(value, Self.lowest) / Self.lowest) / log(Self.growth))
    counts[Swift.min(index, counts.count - 1)] += weight
  }

  /// Adds `other`'s counts to these.
  mutating func merge(_ other: Histogram) {
    for index in counts.indices { counts[index] += other.counts[index] }
    zeros += other.zeros
    sum += other.sum
    total += other.total
    max = Swift.max(max, other.max)
  }

  /// The mean of the values; zero when there are none.
  var mean: Double { total == 0 ? 0 : sum / Double(total) }

  /// The value below which a fraction `p` of the values fall: the upper edge of its bucket,
  /// never above the largest value (the last bucket, which also holds every value past the
  /// range, answers the largest); zero when there are none.
  func percentile(_ p: Double) -> Double {
    let rank = Swift.min(total - 1, Int((Double(total) * p).rounded(.down)))
    guard rank >= zeros else { return 0 }
    var seen = zeros
    for (index, count) in counts.enumerated().dropLast() {
      seen += count
      if seen > rank { return Swift.min(max, Self.lowest * pow(Self.growth, Double(index + 1))) }
    }
    return max
  }
}
