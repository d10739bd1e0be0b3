import ArgumentParser
import CreditLedger
import Foundation
import Hummingbird
import LedgerHTTP
import Logging
import ServiceLifecycle

/// `ledger serve`: the HTTP API on a ledger file.
struct Serve: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Serve the HTTP API (JWT auth: LEDGER_JWT_SECRET and/or LEDGER_JWKS_FILE).",
    discussion: """
      On SIGTERM or SIGINT it stops accepting, finishes the requests in flight, lets the writer
      commit its last batch, and exits 0.
      """)

  @OptionGroup var options: GlobalOptions
  @Option(help: "Address to listen on.") var host = "127.0.0.1"
  @Option(help: "Port to listen on.") var port = 8080
  @Option(name: .customLong("body-bytes-max"), help: "Largest request body, bytes.")
  var bodyBytesMax = 1024 * 1024

  func run() async throws {
    try await Output.run {
      let environment = ProcessInfo.processInfo.environment
      let jwks = try environment["LEDGER_JWKS_FILE"].map { path in
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
          throw Rejection.invalidField(field: "LEDGER_JWKS_FILE", reason: "cannot read \(path)")
        }
        return text
      }
      let verifier: TokenVerifier
      do {
        verifier = try await TokenVerifier(hmacSecret: environment["LEDGER_JWT_SECRET"], jwksJSON: jwks)
      } catch let error as TokenVerifier.ConfigurationError {
        throw Rejection.invalidField(field: "auth", reason: error.description)
      }
      let metrics = LedgerMetrics()
      var configuration = try options.configuration()
      configuration.onBatchAnswered = { metrics.batchAnswered($0) }
      let ledger = try await Ledger.open(path: options.path, configuration: configuration)
      var limits = HTTPLimits()
      limits.requestBodyBytesMax = bodyBytesMax
      let logger = Logger(label: "ledger.serve")
      let app = LedgerServer.application(
        ledger: ledger, verifier: verifier, metrics: metrics, limits: limits, host: host, port: port,
        logger: logger)
      let services = ServiceGroup(
        configuration: .init(
          services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
      do {
        try await services.run()
      } catch {
        await ledger.close()
        throw error
      }
      await ledger.close()
      logger.info("stopped; the writer committed its last batch")
    }
  }
}
