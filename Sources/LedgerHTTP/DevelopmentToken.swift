import CreditLedger
import Foundation
import JWTKit

/// Mints HS256 tokens shaped like Supabase's, for development and tests (`ledger token`).
/// Production tokens come from Supabase itself.
public enum DevelopmentToken {
  /// A token for `principal`, valid for `lifetime` seconds, signed with `secret`.
  public static func mint(secret: String, principal: Principal, lifetime: TimeInterval = 3600) async throws
    -> String
  {
    let keys = JWTKeyCollection()
    await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    let expiry = ExpirationClaim(value: Date().addingTimeInterval(lifetime))
    let claims: SupabaseClaims =
      switch principal {
      case .service: SupabaseClaims(exp: expiry, sub: nil, aud: nil, role: "service_role")
      case .user(let id):
        SupabaseClaims(
          exp: expiry, sub: SubjectClaim(value: id.lowercased), aud: AudienceClaim(value: ["authenticated"]),
          role: "authenticated")
      }
    return try await keys.sign(claims)
  }
}
