import CreditLedger
import Hummingbird
import Logging

/// Builds the Hummingbird application `ledger serve` runs: the ledger's routes on a router of
/// their own, bound to `host:port`.
public enum LedgerServer {
  /// An application serving `ledger`; run it with `runService()` or in a `ServiceGroup`.
  public static func application(
    ledger: Ledger, verifier: TokenVerifier, metrics: LedgerMetrics, limits: HTTPLimits = .init(),
    host: String = "127.0.0.1", port: Int = 8080, logger: Logger = Logger(label: "ledger.http")
  ) -> some ApplicationProtocol {
    let router = Router(context: LedgerContext.self)
    // Logs method, path and status; never headers, so tokens stay out of the logs.
    router.add(middleware: LogRequestsMiddleware(.info))
    LedgerRoutes<LedgerContext>(ledger: ledger, verifier: verifier, metrics: metrics, limits: limits)
      .register(on: router)
    return Application(
      router: router, configuration: .init(address: .hostname(host, port: port), serverName: "ledger"),
      logger: logger)
  }
}
