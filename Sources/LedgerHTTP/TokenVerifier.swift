import CreditLedger
import Foundation
import JWTKit

/// Checks `Authorization: Bearer` tokens as Supabase issues them and turns them into
/// principals: the seed's row-level security, carried over HTTP.
///
/// HS256 with a shared secret (`LEDGER_JWT_SECRET`, at least 32 bytes), and/or ES256/RS256
/// public keys from a JWKS file (`LEDGER_JWKS_FILE`) for projects with asymmetric signing keys.
/// `exp` is required and checked. `role` is `authenticated` (a user: `sub` is its id and
/// required, `aud` must include `authenticated`) or `service_role` (the service; Supabase's
/// service key has no `sub`). Anything else, and `alg: none`, a key used with an algorithm it
/// was not made for, or a bad signature, is refused.
public struct TokenVerifier: Sendable {
  private let keys: JWTKeyCollection

  /// Why the server cannot start with the keys it was given.
  public enum ConfigurationError: Error, CustomStringConvertible {
    /// No secret and no JWKS.
    case noKeys
    /// The HS256 secret is shorter than 32 bytes.
    case secretTooShort(Int)
    /// The JWKS file does not hold usable keys.
    case unusableJWKS(String)

    /// What is wrong, without the secret itself.
    public var description: String {
      switch self {
      case .noKeys: "set LEDGER_JWT_SECRET (HS256, ≥ 32 bytes) or LEDGER_JWKS_FILE (ES256/RS256 keys)"
      case .secretTooShort(let bytes): "LEDGER_JWT_SECRET has \(bytes) bytes; at least 32 are required"
      case .unusableJWKS(let reason): "LEDGER_JWKS_FILE: \(reason)"
      }
    }
  }

  /// Keys from an HS256 secret and/or a JWKS document; at least one is required.
  public init(hmacSecret: String?, jwksJSON: String?) async throws {
    let keys = JWTKeyCollection()
    if hmacSecret == nil && jwksJSON == nil { throw ConfigurationError.noKeys }
    if let secret = hmacSecret {
      guard secret.utf8.count >= 32 else { throw ConfigurationError.secretTooShort(secret.utf8.count) }
      await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }
    if let jwksJSON {
      do {
        try await keys.add(jwksJSON: jwksJSON)
      } catch {
        throw ConfigurationError.unusableJWKS(String(describing: error))
      }
    }
    self.keys = keys
  }

  /// The principal a bearer token proves, or a 401 saying why not.
  func principal(for token: String) async throws(APIError) -> Principal {
    let claims: SupabaseClaims
    do {
      claims = try await keys.verify(token, as: SupabaseClaims.self)
    } catch {
      throw .unauthorized("the token is not valid: \(Self.reason(error))")
    }
    switch claims.role {
    case "service_role":
      return .service
    case "authenticated":
      guard let subject = claims.sub?.value, let id = UUID(uuidString: subject) else {
        throw .unauthorized("a user token needs a 'sub' that is a user id")
      }
      guard claims.aud?.value.contains("authenticated") == true else {
        throw .unauthorized("a user token needs 'aud' to include 'authenticated'")
      }
      return .user(id)
    default:
      throw .unauthorized("the token's role must be 'authenticated' or 'service_role'")
    }
  }

  /// JWTKit's reason, in a sentence that never includes the token or a key.
  private static func reason(_ error: any Error) -> String {
    guard let error = error as? JWTError else { return "it could not be read" }
    switch error.errorType {
    case .claimVerificationFailure: return "a claim failed (expired, or missing 'exp')"
    case .signatureVerificationFailed: return "the signature does not verify"
    case .missingKIDHeader, .unknownKID, .noKeyProvided: return "no key of this server signed it"
    default: return "it is malformed or uses an algorithm this server does not accept"
    }
  }
}

/// The claims the ledger reads from a Supabase token.
struct SupabaseClaims: JWTPayload {
  var exp: ExpirationClaim
  var sub: SubjectClaim?
  var aud: AudienceClaim?
  var role: String

  func verify(using algorithm: some JWTAlgorithm) async throws {
    try exp.verifyNotExpired()
  }
}
