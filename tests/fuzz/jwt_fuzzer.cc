// The JWT verifier (services/common/jwt.*) with an HS256 secret and one RS256 key.
//
// Input: a mode byte, then
//   mode 0: a raw token, as a client would send it;
//   mode 1: "<header JSON>\n<claims JSON>", signed here with the HS256 secret;
//   mode 2: the same, signed here with the RS256 key (kid "fuzz-rs").
// Signing here gets the fuzzer's JSON past the signature check into the header and claims
// checks; the verifier must still refuse every token whose header or claims are wrong.
//
// Properties: a refusal is UNAUTHENTICATED and never echoes the token or a segment of it (text
// that stays in the message once masked in the token is the verifier's own); an accepted token
// has a subject and only known roles and has not expired; the HS256-only verifier never
// accepts what the full one refuses, nor anything signed with the RS256 key.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "services/common/jwt.h"
#include "tests/fuzz/fuzz_support.h"

namespace kam::fuzz {
namespace {

constexpr char kSecret[] = "fuzz-hs256-secret-of-32-bytes-at-least";
constexpr char kRsKid[] = "fuzz-rs";

struct Keys {
  JwtVerifier verifier;
  Rs256PublicKeys rs256;
};

const Keys& TheKeys() {
  static const Keys* keys = [] {
    auto* k = new Keys;
    k->verifier.hs256_secret = kSecret;
    k->verifier.issuer = "https://auth.kam.example";
    k->verifier.audience = "kam-suite";
    // Small enough that the fuzzer reaches the size cap within its input length.
    k->verifier.max_token_bytes = 2048;
    absl::StatusOr<std::shared_ptr<const RsaPublicKey>> key =
        RsaPublicKey::FromPem(FuzzRsaKeys().public_pem);
    if (!key.ok()) Fail("the generated RSA key does not load");
    k->rs256[kRsKid] = *key;
    return k;
  }();
  return *keys;
}

void CheckAccepted(const JwtClaims& claims) {
  if (claims.principal.subject.empty()) Fail("accepted a token without a subject");
  for (const std::string& role : claims.principal.roles) {
    if (!IsKnownRole(role)) Fail("accepted a token naming an unknown role");
  }
  if (claims.expires + TheKeys().verifier.clock_skew <= FixedNow()) {
    Fail("accepted an expired token");
  }
}

using Verify = std::function<absl::Status(std::string_view token)>;

// libFuzzer copies the verifier's own texts into tokens (its comparison tracing), so a piece of
// the token found in the message is an echo only if it is gone once that piece is replaced, in
// the token, by another of the same length (as in gateway_auth_fuzzer.cc).
void ExpectPieceNotEchoed(const absl::Status& status, const std::string& token,
                          const std::string& piece, const Verify& verify, std::string_view where) {
  if (piece.empty() || !absl::StrContains(status.message(), piece)) return;
  const std::string masked = absl::StrReplaceAll(token, {{piece, std::string(piece.size(), '#')}});
  if (absl::StrContains(verify(masked).message(), piece)) return;
  ExpectNotEchoed(status, piece, where);
}

void CheckRefused(const absl::Status& status, const std::string& token, const Verify& verify) {
  ExpectOkOr(status, absl::StatusCode::kUnauthenticated, "VerifyJwt");
  ExpectPieceNotEchoed(status, token, token, verify, "VerifyJwt");
  size_t start = 0;
  while (start < token.size()) {
    const size_t dot = std::min(token.find('.', start), token.size());
    ExpectPieceNotEchoed(status, token, token.substr(start, dot - start), verify,
                         "VerifyJwt segment");
    start = dot + 1;
  }
}

}  // namespace
}  // namespace kam::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  kam::fuzz::TheKeys();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kam::fuzz;
  std::string_view input = AsText(data, size);
  const int mode = TakeByte(input) % 3;
  std::string token(input);
  if (mode != 0) {
    const auto [header, claims] = SplitOnce(input, '\n');
    token = mode == 1 ? SignHs256(header, claims, kSecret) : SignRs256(header, claims);
  }
  const Keys& keys = TheKeys();
  kam::AuthFailure failure = kam::AuthFailure::kMissing;
  const absl::StatusOr<kam::JwtClaims> full =
      kam::VerifyJwt(token, keys.verifier, keys.rs256, FixedNow(), &failure);
  const absl::StatusOr<kam::JwtClaims> hs256_only =
      kam::VerifyJwt(token, keys.verifier, FixedNow());
  if (full.ok()) CheckAccepted(*full);
  CheckRefused(full.status(), token, [&](std::string_view other) {
    return kam::VerifyJwt(other, keys.verifier, keys.rs256, FixedNow()).status();
  });
  CheckRefused(hs256_only.status(), token, [&](std::string_view other) {
    return kam::VerifyJwt(other, keys.verifier, FixedNow()).status();
  });
  if (hs256_only.ok()) {
    if (!full.ok()) Fail("the HS256-only verifier accepted a token the full one refuses");
    if (mode == 2) Fail("the HS256-only verifier accepted an RS256 signature");
    if (hs256_only->principal.subject != full->principal.subject ||
        hs256_only->principal.roles != full->principal.roles) {
      Fail("the two verifiers read different principals from one token");
    }
  }
  return 0;
}
