import ArgumentParser
import CreditLedger
import Foundation
import LedgerHTTP

/// `ledger token`: a development token signed with `LEDGER_JWT_SECRET`.
struct Token: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print a development JWT (HS256, LEDGER_JWT_SECRET) for the service role or a user.")

  @Option(help: "Mint a user token for this id (default: a service_role token).") var user: String?
  @Option(help: "Seconds until it expires.") var ttl = 3600.0

  func run() async throws {
    try await Output.run {
      guard let secret = ProcessInfo.processInfo.environment["LEDGER_JWT_SECRET"], secret.utf8.count >= 32
      else {
        throw Rejection.invalidField(
          field: "LEDGER_JWT_SECRET", reason: "set it to a secret of at least 32 bytes")
      }
      let principal: Principal = try user.map { .user(try parseID($0, field: "user")) } ?? .service
      print(try await DevelopmentToken.mint(secret: secret, principal: principal, lifetime: ttl))
    }
  }
}
