import CreditLedger
import Foundation
import Testing

@testable import LedgerLoad

@Suite("The load generator's histogram: bounded, and its percentiles within 1% of the exact ones")
struct HistogramTests {
  /// `count` latencies spread evenly in log scale from 10 µs to 1 s, in a seeded order.
  func latencies(_ count: Int, seed: UInt64 = 7) -> [Double] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
      0.01 * pow(100_000, Double(generator.next() % 1_000_000) / 1_000_000)
    }
  }

  func exact(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.down)))]
  }

  @Test("p50, p90, p99 and p99.9 of 100,000 latencies are within 1% of the exact ones; mean and max exact")
  func percentilesWithinOnePercent() {
    let values = latencies(100_000)
    var histogram = Histogram()
    for value in values { histogram.record(value) }
    let sorted = values.sorted()
    for p in [0.5, 0.9, 0.99, 0.999] {
      let ratio = histogram.percentile(p) / exact(sorted, p)
      #expect(
        ratio >= 1 / 1.0101 && ratio <= 1.0101,
        "p\(p * 100): \(histogram.percentile(p)) against \(exact(sorted, p))")
    }
    #expect(histogram.total == values.count && histogram.max == sorted.last)
    #expect(abs(histogram.mean - values.reduce(0, +) / Double(values.count)) < 1e-9)
  }

  @Test("merging two halves gives what recording them all in one gives")
  func mergeEqualsOne() {
    let values = latencies(20_000, seed: 11)
    var whole = Histogram()
    var first = Histogram()
    var second = Histogram()
    for (index, value) in values.enumerated() {
      whole.record(value)
      if index % 2 == 0 { first.record(value) } else { second.record(value) }
    }
    first.merge(second)
    #expect(first.total == whole.total && first.max == whole.max)
    #expect(abs(first.mean - whole.mean) < 1e-9)
    for p in [0.5, 0.99, 0.999] { #expect(first.percentile(p) == whole.percentile(p)) }
  }

  @Test("a weight counts a value that many times")
  func weights() {
    var histogram = Histogram()
    histogram.record(5, weight: 99)
    histogram.record(100)
    #expect(histogram.total == 100)
    #expect(abs(histogram.percentile(0.5) / 5 - 1) < 0.0101)
    #expect(histogram.percentile(0.99) == 100)
    #expect(abs(histogram.mean - 5.95) < 1e-9)
  }

  @Test("empty, zeros, and values past the range: zero, zero, and the largest exactly")
  func edges() {
    #expect(Histogram().percentile(0.99) == 0 && Histogram().mean == 0)
    var zeros = Histogram()
    zeros.record(0, weight: 10)
    #expect(zeros.percentile(0.5) == 0 && zeros.percentile(0.99) == 0 && zeros.max == 0)
    var huge = Histogram()
    huge.record(5_000_000)
    huge.record(0.000_01)
    #expect(huge.percentile(0.99) == 5_000_000 && huge.max == 5_000_000)
    #expect(huge.percentile(0.0) > 0 && huge.percentile(0.0) <= 0.00101)
  }
}
