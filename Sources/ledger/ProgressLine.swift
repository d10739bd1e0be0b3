import CreditLedger
import Foundation
import Synchronization

/// Progress of long work on stderr — done, rate, time left — only when stderr is a terminal,
/// so that scripts and JSON on stdout stay clean. One line, redrawn at most four times a second.
final class ProgressLine: Sendable {
  private struct State {
    var start = ContinuousClock.now
    var phase = ""
    var lastDrawn: ContinuousClock.Instant?
  }

  private let state = Mutex(State())

  /// The handler to give the library: nil when stderr is not a terminal.
  static func make() -> ProgressLine? {
    isatty(STDERR_FILENO) == 1 ? ProgressLine() : nil
  }

  var handler: ProgressHandler { { [self] in draw($0) } }

  private func draw(_ progress: LedgerProgress) {
    let now = ContinuousClock.now
    let line: String? = state.withLock { state in
      if state.phase != progress.phase {
        state.phase = progress.phase
        state.start = now
      } else if let last = state.lastDrawn, last.duration(to: now) < .milliseconds(250),
        progress.done < progress.total
      {
        return nil
      }
      state.lastDrawn = now
      let elapsed = state.start.duration(to: now)
      let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
      let rate = seconds > 0 ? Double(progress.done) / seconds : 0
      let left = rate > 0 ? Double(max(0, progress.total - progress.done)) / rate : 0
      return String(
        format: "\r\u{1B}[K%@: %lld of %lld, %.0f/s, %.0f s left", progress.phase, progress.done,
        progress.total, rate, left)
    }
    if let line { FileHandle.standardError.write(Data(line.utf8)) }
  }

  /// Ends the line, so that what follows starts on a fresh one.
  func finish() {
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }
}

extension Optional where Wrapped == ProgressLine {
  /// Runs `body` with the line's handler, and clears the line afterwards, even on failure.
  @discardableResult
  func around<T>(_ body: (ProgressHandler?) async throws -> T) async throws -> T {
    defer { self?.finish() }
    return try await body(self?.handler)
  }
}
