#include "services/common/jwt.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/status/status.h"
#include "services/common/digest.h"
#include "services/common/validation.h"

namespace kam {
namespace {

using nlohmann::json;

// A refusal before it becomes a status: the metrics reason and the caller-facing message.
struct Refusal {
  AuthFailure reason;
  const char* message;
};
using Check = std::optional<Refusal>;
constexpr Check kPass = std::nullopt;

// Decodes one base64url segment as a JSON object; nullopt for anything else.
std::optional<json> DecodeJsonObject(std::string_view segment) {
  std::string text;
  if (!Base64UrlDecode(segment, &text)) return std::nullopt;
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return std::nullopt;
  return value;
}

// The header may say only alg, typ JWT and kid. Anything else ("crit" extensions,
// "jku"/"jwk" key hints) is refused rather than interpreted.
Check CheckHeaderFields(const json& header) {
  for (const auto& [name, value] : header.items()) {
    if (name == "typ") {
      if (value != "JWT") return Refusal{AuthFailure::kMalformed, "token type not accepted"};
    } else if (name == "kid") {
      if (!value.is_string()) return Refusal{AuthFailure::kMalformed, "token key id invalid"};
    } else if (name != "alg") {
      return Refusal{AuthFailure::kMalformed, "token header not accepted"};
    }
  }
  return kPass;
}

// The key the token's kid selects, and the one algorithm that key allows.
struct SelectedKey {
  std::string_view algorithm;
  const std::string* hs256_secret = nullptr;
  const RsaPublicKey* rs256_key = nullptr;
};

Check SelectKey(const json& header, const JwtVerifier& verifier, const Rs256PublicKeys& keys,
                SelectedKey* selected) {
  const auto kid = header.find("kid");
  if (kid == header.end() || *kid == kHs256KeyId) {
    selected->algorithm = "HS256";
    selected->hs256_secret = &verifier.hs256_secret;
  } else {
    const auto key = keys.find(kid->get_ref<const std::string&>());
    if (key == keys.end()) return Refusal{AuthFailure::kUnknownKey, "token key not recognised"};
    selected->algorithm = "RS256";
    selected->rs256_key = key->second.get();
  }
  // alg only has to agree with the key; it never chooses how the signature is checked.
  const auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() ||
      alg->get_ref<const std::string&>() != selected->algorithm) {
    return Refusal{AuthFailure::kAlgorithm, "token algorithm not accepted"};
  }
  // A verifier started without a secret must refuse every HS256 token, not accept empty-key
  // MACs.
  if (selected->hs256_secret != nullptr && selected->hs256_secret->empty()) {
    return Refusal{AuthFailure::kUnknownKey, "token secret not configured"};
  }
  return kPass;
}

bool SignatureMatches(const SelectedKey& key, std::string_view signing_input,
                      std::string_view encoded_signature) {
  std::string signature;
  if (!Base64UrlDecode(encoded_signature, &signature)) return false;
  if (key.rs256_key != nullptr) return key.rs256_key->VerifyRs256(signing_input, signature);
  return ConstantTimeEquals(signature, HmacSha256(*key.hs256_secret, signing_input));
}

// A JSON NumericDate (seconds since the epoch, possibly fractional) as a time.
std::optional<absl::Time> NumericDate(const json& value) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() &&
        value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return std::nullopt;
    }
    return absl::FromUnixSeconds(value.get<int64_t>());
  }
  // Bounded to keep the conversion defined; 1e15 s is far beyond any real date.
  if (value.is_number_float() && std::isfinite(value.get<double>()) &&
      std::fabs(value.get<double>()) < 1e15) {
    return absl::FromUnixSeconds(static_cast<int64_t>(std::floor(value.get<double>())));
  }
  return std::nullopt;
}

Check CheckTimes(const json& claims, const JwtVerifier& verifier, absl::Time now,
                 absl::Time* expires) {
  const auto exp = claims.find("exp");
  if (exp == claims.end()) return Refusal{AuthFailure::kBadClaims, "token has no expiry"};
  const std::optional<absl::Time> exp_time = NumericDate(*exp);
  if (!exp_time) return Refusal{AuthFailure::kBadClaims, "token expiry invalid"};
  if (now >= *exp_time + verifier.clock_skew) {
    return Refusal{AuthFailure::kExpired, "token expired"};
  }
  for (const char* name : {"nbf", "iat"}) {
    const auto claim = claims.find(name);
    if (claim == claims.end()) continue;
    const std::optional<absl::Time> time = NumericDate(*claim);
    if (!time) return Refusal{AuthFailure::kBadClaims, "token time claims invalid"};
    if (*time > now + verifier.clock_skew) {
      return Refusal{AuthFailure::kNotYetValid, "token not yet valid"};
    }
  }
  *expires = *exp_time;
  return kPass;
}

bool AudienceMatches(const json& aud, std::string_view audience) {
  if (aud.is_string()) return aud == audience;
  if (!aud.is_array()) return false;
  for (const auto& entry : aud) {
    if (entry.is_string() && entry == audience) return true;
  }
  return false;
}

Check CheckIssuerAndAudience(const json& claims, const JwtVerifier& verifier) {
  const auto iss = claims.find("iss");
  if (iss == claims.end() || *iss != verifier.issuer) {
    return Refusal{AuthFailure::kWrongIssuer, "token issuer not accepted"};
  }
  const auto aud = claims.find("aud");
  if (aud == claims.end() || !AudienceMatches(*aud, verifier.audience)) {
    return Refusal{AuthFailure::kWrongAudience, "token audience not accepted"};
  }
  return kPass;
}

Check PrincipalFromClaims(const json& claims, Principal* principal) {
  const auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get_ref<const std::string&>().empty()) {
    return Refusal{AuthFailure::kBadClaims, "token subject missing"};
  }
  // The subject becomes owner ids and audit actors: it must be an identifier the services
  // accept, or every write by this caller would fail on a field they never sent.
  if (!CheckToken("sub", sub->get_ref<const std::string&>(), kMaxSubjectChars, true).ok()) {
    return Refusal{AuthFailure::kBadClaims, "token subject not accepted"};
  }
  const auto roles = claims.find("roles");
  if (roles == claims.end() || !roles->is_array() || roles->empty()) {
    return Refusal{AuthFailure::kBadClaims, "token roles missing"};
  }
  principal->subject = sub->get<std::string>();
  for (const auto& role : *roles) {
    // The role text is not echoed: it is part of the token.
    if (!role.is_string() || !IsKnownRole(role.get_ref<const std::string&>())) {
      return Refusal{AuthFailure::kBadClaims, "token role not recognised"};
    }
    principal->roles.push_back(role.get<std::string>());
  }
  const auto dept = claims.find("dept");
  if (dept != claims.end()) {
    if (!dept->is_string()) return Refusal{AuthFailure::kBadClaims, "token department invalid"};
    principal->department = dept->get<std::string>();
  }
  return kPass;
}

// Everything up to and including the signature: unsigned input never reaches claim logic.
Check CheckSignedToken(std::string_view token, const JwtVerifier& verifier,
                       const Rs256PublicKeys& keys, std::optional<json>* claims) {
  if (token.size() > verifier.max_token_bytes) {
    return Refusal{AuthFailure::kOversized, "token too large"};
  }
  if (token.empty()) return Refusal{AuthFailure::kMissing, "token missing"};
  // header.payload.signature, exactly two dots.
  const size_t first_dot = token.find('.');
  const size_t last_dot = token.rfind('.');
  if (first_dot == std::string_view::npos || first_dot == last_dot ||
      token.find('.', first_dot + 1) != last_dot) {
    return Refusal{AuthFailure::kMalformed, "token malformed"};
  }
  const std::optional<json> header = DecodeJsonObject(token.substr(0, first_dot));
  if (!header) return Refusal{AuthFailure::kMalformed, "token malformed"};
  if (Check refused = CheckHeaderFields(*header)) return refused;
  SelectedKey key;
  if (Check refused = SelectKey(*header, verifier, keys, &key)) return refused;
  if (!SignatureMatches(key, token.substr(0, last_dot), token.substr(last_dot + 1))) {
    return Refusal{AuthFailure::kBadSignature, "token signature invalid"};
  }
  *claims = DecodeJsonObject(token.substr(first_dot + 1, last_dot - first_dot - 1));
  if (!*claims) return Refusal{AuthFailure::kMalformed, "token malformed"};
  return kPass;
}

Check CheckJwt(std::string_view token, const JwtVerifier& verifier, const Rs256PublicKeys& keys,
               absl::Time now, JwtClaims* result) {
  std::optional<json> claims;
  if (Check refused = CheckSignedToken(token, verifier, keys, &claims)) return refused;
  if (Check refused = CheckTimes(*claims, verifier, now, &result->expires)) return refused;
  if (Check refused = CheckIssuerAndAudience(*claims, verifier)) return refused;
  return PrincipalFromClaims(*claims, &result->principal);
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

std::unique_ptr<BIO, BioDeleter> MemoryBio(std::string_view text) {
  return std::unique_ptr<BIO, BioDeleter>(
      BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

const unsigned char* Bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

absl::StatusOr<std::string> SignRs256(std::string_view private_key_pem, std::string_view data) {
  auto bio = MemoryBio(private_key_pem);
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();
  if (!key || !EVP_PKEY_is_a(key.get(), "RSA")) {
    return absl::InvalidArgumentError("signing key is not an RSA private key PEM");
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  size_t size = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, Bytes(data), data.size()) != 1) {
    return absl::InternalError("RS256 signing failed");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     Bytes(data), data.size()) != 1) {
    return absl::InternalError("RS256 signing failed");
  }
  signature.resize(size);
  return signature;
}

json MintClaims(const Principal& principal, const JwtMintOptions& options) {
  json claims = {{"iss", options.issuer},
                 {"aud", options.audience},
                 {"sub", principal.subject},
                 {"roles", principal.roles},
                 {"iat", absl::ToUnixSeconds(options.issued_at)},
                 {"exp", absl::ToUnixSeconds(options.issued_at + options.ttl)}};
  if (!principal.department.empty()) claims["dept"] = principal.department;
  return claims;
}

}  // namespace

std::string_view AuthFailureReason(AuthFailure failure) {
  switch (failure) {
    case AuthFailure::kMissing:
      return "missing";
    case AuthFailure::kMalformed:
      return "malformed";
    case AuthFailure::kOversized:
      return "oversized";
    case AuthFailure::kAlgorithm:
      return "algorithm";
    case AuthFailure::kUnknownKey:
      return "unknown_key";
    case AuthFailure::kBadSignature:
      return "bad_signature";
    case AuthFailure::kExpired:
      return "expired";
    case AuthFailure::kNotYetValid:
      return "not_yet_valid";
    case AuthFailure::kWrongIssuer:
      return "wrong_issuer";
    case AuthFailure::kWrongAudience:
      return "wrong_audience";
    case AuthFailure::kBadClaims:
      return "bad_claims";
    case AuthFailure::kUnknownApiKey:
      return "unknown_api_key";
  }
  return "malformed";
}

absl::StatusOr<std::shared_ptr<const RsaPublicKey>> RsaPublicKey::FromPem(std::string_view pem) {
  auto bio = MemoryBio(pem);
  std::shared_ptr<EVP_PKEY> key(
      bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr, PkeyDeleter());
  // OpenSSL's error queue is per thread; leave nothing behind for unrelated code to find.
  ERR_clear_error();
  if (!key) return absl::InvalidArgumentError("not a PEM public key (BEGIN PUBLIC KEY)");
  if (!EVP_PKEY_is_a(key.get(), "RSA")) return absl::InvalidArgumentError("not an RSA key");
  if (EVP_PKEY_get_bits(key.get()) < 2048) {
    return absl::InvalidArgumentError("RSA key shorter than 2048 bits");
  }
  return std::shared_ptr<const RsaPublicKey>(new RsaPublicKey(std::move(key)));
}

bool RsaPublicKey::VerifyRs256(std::string_view signed_data, std::string_view signature) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  const bool verified =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(signed_data),
                       signed_data.size()) == 1;
  ERR_clear_error();
  return verified;
}

absl::StatusOr<JwtClaims> VerifyJwt(std::string_view token, const JwtVerifier& verifier,
                                    const Rs256PublicKeys& rs256_keys, absl::Time now,
                                    AuthFailure* failure) {
  JwtClaims result;
  if (Check refused = CheckJwt(token, verifier, rs256_keys, now, &result)) {
    if (failure != nullptr) *failure = refused->reason;
    return absl::UnauthenticatedError(refused->message);
  }
  return result;
}

absl::StatusOr<JwtClaims> VerifyJwt(std::string_view token, const JwtVerifier& verifier,
                                    absl::Time now) {
  static const Rs256PublicKeys* const kNoKeys = new Rs256PublicKeys();
  return VerifyJwt(token, verifier, *kNoKeys, now);
}

std::string MintJwt(const Principal& principal, const JwtMintOptions& options) {
  const json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  std::string token =
      Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(MintClaims(principal, options).dump());
  const std::string signature = HmacSha256(options.hs256_secret, token);
  return token + "." + Base64UrlEncode(signature);
}

absl::StatusOr<std::string> MintRs256Jwt(const Principal& principal,
                                         const JwtMintOptions& options) {
  if (options.kid.empty() || options.kid == kHs256KeyId) {
    return absl::InvalidArgumentError("RS256 tokens need a kid other than \"hs256\"");
  }
  const json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", options.kid}};
  std::string token =
      Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(MintClaims(principal, options).dump());
  absl::StatusOr<std::string> signature = SignRs256(options.rs256_private_key_pem, token);
  if (!signature.ok()) return signature.status();
  return token + "." + Base64UrlEncode(*signature);
}

}  // namespace kam
