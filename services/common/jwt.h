#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/identity.h"

namespace kam {

// What a token must satisfy. HS256 only for now; the algorithm is pinned, never read from
// the token's own header as a choice.
struct JwtVerifier {
  std::string hs256_secret;
  std::string issuer;
  std::string audience;
  absl::Duration clock_skew = absl::Seconds(30);
  // Tokens longer than this are refused before any parsing.
  size_t max_token_bytes = 8192;
};

struct JwtClaims {
  Principal principal;  // from "sub", "roles" (array of strings), "dept"
  absl::Time expires;
};

// Verifies a compact JWS (header.payload.signature): alg must be HS256, the signature must
// match, exp required and in the future, nbf (if present) in the past, iss and aud equal
// to the configured ones (aud may be a string or an array), sub non-empty, roles an array
// of strings. Every failure is UNAUTHENTICATED with a message that never echoes the token.
absl::StatusOr<JwtClaims> VerifyJwt(std::string_view token, const JwtVerifier& verifier,
                                    absl::Time now);

struct JwtMintOptions {
  std::string hs256_secret;
  std::string issuer;
  std::string audience;
  absl::Time issued_at;
  absl::Duration ttl = absl::Hours(8);
};

// Mints an HS256 token for development and tests (kamctl token).
std::string MintJwt(const Principal& principal, const JwtMintOptions& options);

}  // namespace kam
