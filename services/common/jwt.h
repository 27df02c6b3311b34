#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/identity.h"

// OpenSSL's key type, kept out of this header so its users need not include OpenSSL.
struct evp_pkey_st;

namespace kam {

// Why a credential was refused: the label of kam_gateway_auth_failures_total{reason}.
// Kept small on purpose (POLICY.md "Authentication" documents each one).
enum class AuthFailure {
  kMissing,        // no credential at all, or an empty one
  kMalformed,      // not three base64url JSON segments, an unexpected header field, two kinds
  kOversized,      // longer than the size cap (checked before any parsing)
  kAlgorithm,      // alg missing, "none", or not the algorithm pinned to the selected key
  kUnknownKey,     // kid names no configured key (or HS256 is not configured)
  kBadSignature,   // the signature does not verify under the selected key
  kExpired,        // now >= exp + skew
  kNotYetValid,    // nbf or iat > now + skew
  kWrongIssuer,    // iss missing or not ours
  kWrongAudience,  // aud missing or (string or array) without ours
  kBadClaims,      // exp missing or invalid, sub/roles/dept missing or invalid
  kUnknownApiKey,  // an x-api-key whose hash is not in the API keys file
};
inline constexpr AuthFailure kAuthFailures[] = {
    AuthFailure::kMissing,       AuthFailure::kMalformed,   AuthFailure::kOversized,
    AuthFailure::kAlgorithm,     AuthFailure::kUnknownKey,  AuthFailure::kBadSignature,
    AuthFailure::kExpired,       AuthFailure::kNotYetValid, AuthFailure::kWrongIssuer,
    AuthFailure::kWrongAudience, AuthFailure::kBadClaims,   AuthFailure::kUnknownApiKey};
// "missing", "malformed", ... "unknown_api_key".
std::string_view AuthFailureReason(AuthFailure failure);

// The kid that selects the HS256 secret; a token without kid selects it too. No RS256 key
// may take this name.
inline constexpr char kHs256KeyId[] = "hs256";

// What a token must satisfy besides its signature. The algorithm is pinned by the key the
// token's kid selects, never read from the token's own header as a choice.
struct JwtVerifier {
  std::string hs256_secret;
  std::string issuer;
  std::string audience;
  absl::Duration clock_skew = absl::Seconds(30);
  // Tokens longer than this are refused before any parsing.
  size_t max_token_bytes = 8192;
};

// An RSA public key that verifies RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signatures.
// Immutable once built, so one instance is shared by every thread.
class RsaPublicKey {
 public:
  // From a "BEGIN PUBLIC KEY" PEM (openssl rsa -pubout). INVALID_ARGUMENT when the text is
  // not such a key, not RSA, or shorter than 2048 bits; the message never echoes the text.
  static absl::StatusOr<std::shared_ptr<const RsaPublicKey>> FromPem(std::string_view pem);

  bool VerifyRs256(std::string_view signed_data, std::string_view signature) const;

 private:
  explicit RsaPublicKey(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> key_;
};

// RS256 keys by kid.
using Rs256PublicKeys = std::map<std::string, std::shared_ptr<const RsaPublicKey>, std::less<>>;

struct JwtClaims {
  Principal principal;  // from "sub", "roles" (array of strings), "dept"
  absl::Time expires;
};

// Verifies a compact JWS (header.payload.signature). The key is chosen by kid: none or
// "hs256" selects the HS256 secret, any other kid the RS256 key of that name; the header's
// alg must be that key's algorithm. Then: the signature must match, exp required and in the
// future, nbf/iat (if present) in the past, iss and aud equal to the configured ones (aud may
// be a string or an array), sub non-empty, roles an array of known roles. Every failure is
// UNAUTHENTICATED with a message that never echoes the token, and sets `*failure` (if given).
absl::StatusOr<JwtClaims> VerifyJwt(std::string_view token, const JwtVerifier& verifier,
                                    const Rs256PublicKeys& rs256_keys, absl::Time now,
                                    AuthFailure* failure = nullptr);
// HS256 only (no RS256 keys).
absl::StatusOr<JwtClaims> VerifyJwt(std::string_view token, const JwtVerifier& verifier,
                                    absl::Time now);

struct JwtMintOptions {
  std::string hs256_secret;
  std::string issuer;
  std::string audience;
  absl::Time issued_at;
  absl::Duration ttl = absl::Hours(8);
  // RS256 only (MintRs256Jwt): the signing key, PKCS#8 or traditional RSA PEM, and the kid
  // naming its public half in the gateway's key directory.
  std::string rs256_private_key_pem = {};
  std::string kid = {};
};

// Mints an HS256 token for development and tests (kamctl token).
std::string MintJwt(const Principal& principal, const JwtMintOptions& options);
// Mints an RS256 token with header kid; INVALID_ARGUMENT when the key is not an RSA private
// key PEM or the kid is empty or "hs256".
absl::StatusOr<std::string> MintRs256Jwt(const Principal& principal, const JwtMintOptions& options);

}  // namespace kam
