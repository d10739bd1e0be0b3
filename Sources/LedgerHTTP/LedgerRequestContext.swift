import CreditLedger
import Hummingbird

/// What the ledger's routes need from a request context: somewhere to keep the principal the
/// bearer token proved. A host app that mounts the routes conforms its own context to it.
public protocol LedgerRequestContext: RequestContext {
  /// Who the request acts as, once ``BearerAuthMiddleware`` has checked the token.
  var principal: Principal? { get set }
}

/// The request context `ledger serve` uses.
public struct LedgerContext: LedgerRequestContext {
  /// Hummingbird's per-request storage.
  public var coreContext: CoreRequestContextStorage
  /// Who the request acts as.
  public var principal: Principal?

  /// A context for a new request.
  public init(source: Source) {
    coreContext = .init(source: source)
  }
}
