import Synchronization

/// How the caller of a lone command learns that its batch is durable without waiting for a
/// thread to be woken after the `fdatasync`.
///
/// With one caller at a time, a round trip was the commit, the `fdatasync` and then ~50 µs of
/// the caller's task getting a thread back: its continuation, resumed after the sync, woke the
/// other vCPU, idle since the caller suspended. The ``Syncer`` now resumes a lone command's
/// caller as its sync starts, with one of these in the answer: the task wakes up while the
/// disk works, and waits here for the sync's outcome — looking at an atomic for up to
/// ``Limits/loneCallerSpinMax`` (its vCPU is otherwise idle), then suspending until it comes.
/// The command's event is returned only once ``finish(failure:)`` said durable, so "done"
/// still means durable.
final class DurabilityWait: Sendable {
  private struct State: ~Copyable {
    var finished = false
    var failure: LedgerError?
    var waiter: CheckedContinuation<Void, any Error>?

    /// Durable, or the failure that left it not durable; nil until the sync returned.
    var outcome: Result<Void, any Error>? {
      guard finished else { return nil }
      return failure.map { .failure($0) } ?? .success(())
    }
  }

  /// Set once the outcome is known: what the spinning caller looks at.
  private let done = Atomic<Bool>(false)
  private let state = Mutex(State())

  /// The sync returned: durable with no failure, or not durable with `failure`.
  func finish(failure: LedgerError?) {
    let (waiter, outcome) = state.withLock { state in
      state.finished = true
      state.failure = failure
      return (state.waiter.take(), state.outcome)
    }
    done.store(true, ordering: .releasing)
    if let waiter, let outcome { waiter.resume(with: outcome) }
  }

  /// Returns once the batch is durable; throws the failure that left it not durable.
  func wait(spinMax: Duration) async throws {
    if spinMax > .zero {
      let deadline = ContinuousClock.now.advanced(by: spinMax)
      var looks = 0
      while !done.load(ordering: .acquiring) {
        looks += 1
        // A clock read costs more than a look at the atomic: one in 64.
        if looks & 63 == 0 && ContinuousClock.now >= deadline { break }
      }
    }
    if let outcome = state.withLock({ $0.outcome }) { return try outcome.get() }
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
      let outcome = state.withLock { state in
        if state.outcome == nil { state.waiter = continuation }
        return state.outcome
      }
      if let outcome { continuation.resume(with: outcome) }
    }
  }
}
