#include "services/common/jwt.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/status/status.h"
#include "services/common/validation.h"

namespace kam {
namespace {

using nlohmann::json;

absl::Status Unauthenticated(absl::string_view why) { return absl::UnauthenticatedError(why); }

// Decodes one base64url segment as a JSON object; nullopt for anything else.
std::optional<json> DecodeJsonObject(std::string_view segment) {
  std::string text;
  if (!Base64UrlDecode(segment, &text)) return std::nullopt;
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return std::nullopt;
  return value;
}

// The header may say only what we already know: HS256, optionally typ JWT. Anything else
// (another alg, "none", "crit" extensions, "jku"/"jwk" key hints) is refused rather than
// interpreted; "kid" is ignored because HS256 has one key.
absl::Status CheckHeader(const json& header) {
  for (const auto& [name, value] : header.items()) {
    if (name == "alg") {
      if (value != "HS256") return Unauthenticated("token algorithm not accepted");
    } else if (name == "typ") {
      if (value != "JWT") return Unauthenticated("token type not accepted");
    } else if (name != "kid") {
      return Unauthenticated("token header not accepted");
    }
  }
  if (!header.contains("alg")) return Unauthenticated("token algorithm not accepted");
  return absl::OkStatus();
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

absl::Status CheckTimes(const json& claims, const JwtVerifier& verifier, absl::Time now,
                        absl::Time* expires) {
  const auto exp = claims.find("exp");
  if (exp == claims.end()) return Unauthenticated("token has no expiry");
  const std::optional<absl::Time> exp_time = NumericDate(*exp);
  if (!exp_time) return Unauthenticated("token expiry invalid");
  if (now >= *exp_time + verifier.clock_skew) return Unauthenticated("token expired");
  for (const char* name : {"nbf", "iat"}) {
    const auto claim = claims.find(name);
    if (claim == claims.end()) continue;
    const std::optional<absl::Time> time = NumericDate(*claim);
    if (!time) return Unauthenticated("token time claims invalid");
    if (*time > now + verifier.clock_skew) return Unauthenticated("token not yet valid");
  }
  *expires = *exp_time;
  return absl::OkStatus();
}

bool AudienceMatches(const json& aud, std::string_view audience) {
  if (aud.is_string()) return aud == audience;
  if (!aud.is_array()) return false;
  for (const auto& entry : aud) {
    if (entry.is_string() && entry == audience) return true;
  }
  return false;
}

absl::StatusOr<Principal> PrincipalFromClaims(const json& claims) {
  const auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get_ref<const std::string&>().empty()) {
    return Unauthenticated("token subject missing");
  }
  // The subject becomes owner ids and audit actors: it must be an identifier the services
  // accept, or every write by this caller would fail on a field they never sent.
  if (!CheckToken("sub", sub->get_ref<const std::string&>(), kMaxSubjectChars, true).ok()) {
    return Unauthenticated("token subject not accepted");
  }
  const auto roles = claims.find("roles");
  if (roles == claims.end() || !roles->is_array() || roles->empty()) {
    return Unauthenticated("token roles missing");
  }
  Principal principal;
  principal.subject = sub->get<std::string>();
  for (const auto& role : *roles) {
    // The role text is not echoed: it is part of the token.
    if (!role.is_string() || !IsKnownRole(role.get_ref<const std::string&>())) {
      return Unauthenticated("token role not recognised");
    }
    principal.roles.push_back(role.get<std::string>());
  }
  const auto dept = claims.find("dept");
  if (dept != claims.end()) {
    if (!dept->is_string()) return Unauthenticated("token department invalid");
    principal.department = dept->get<std::string>();
  }
  return principal;
}

}  // namespace

absl::StatusOr<JwtClaims> VerifyJwt(std::string_view token, const JwtVerifier& verifier,
                                    absl::Time now) {
  if (token.size() > verifier.max_token_bytes) return Unauthenticated("token too large");
  if (token.empty()) return Unauthenticated("token missing");
  // A service started without a secret must refuse every token, not accept empty-key MACs.
  if (verifier.hs256_secret.empty()) return Unauthenticated("token secret not configured");
  // header.payload.signature, exactly two dots.
  const size_t first_dot = token.find('.');
  const size_t last_dot = token.rfind('.');
  if (first_dot == last_dot || token.find('.', first_dot + 1) != last_dot) {
    return Unauthenticated("token malformed");
  }
  const std::optional<json> header = DecodeJsonObject(token.substr(0, first_dot));
  if (!header) return Unauthenticated("token malformed");
  if (absl::Status status = CheckHeader(*header); !status.ok()) return status;

  // The signature is checked before the claims are even decoded, so unsigned input never
  // reaches the claim logic.
  const std::string_view signing_input = token.substr(0, last_dot);
  std::string signature;
  if (!Base64UrlDecode(token.substr(last_dot + 1), &signature) ||
      !ConstantTimeEquals(signature, HmacSha256(verifier.hs256_secret, signing_input))) {
    return Unauthenticated("token signature invalid");
  }

  const std::optional<json> claims =
      DecodeJsonObject(token.substr(first_dot + 1, last_dot - first_dot - 1));
  if (!claims) return Unauthenticated("token malformed");
  JwtClaims result;
  if (absl::Status status = CheckTimes(*claims, verifier, now, &result.expires); !status.ok()) {
    return status;
  }
  const auto iss = claims->find("iss");
  if (iss == claims->end() || *iss != verifier.issuer) {
    return Unauthenticated("token issuer not accepted");
  }
  const auto aud = claims->find("aud");
  if (aud == claims->end() || !AudienceMatches(*aud, verifier.audience)) {
    return Unauthenticated("token audience not accepted");
  }
  absl::StatusOr<Principal> principal = PrincipalFromClaims(*claims);
  if (!principal.ok()) return principal.status();
  result.principal = *std::move(principal);
  return result;
}

std::string MintJwt(const Principal& principal, const JwtMintOptions& options) {
  const json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  json claims = {{"iss", options.issuer},
                 {"aud", options.audience},
                 {"sub", principal.subject},
                 {"roles", principal.roles},
                 {"iat", absl::ToUnixSeconds(options.issued_at)},
                 {"exp", absl::ToUnixSeconds(options.issued_at + options.ttl)}};
  if (!principal.department.empty()) claims["dept"] = principal.department;
  std::string token = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  const std::string signature = HmacSha256(options.hs256_secret, token);
  return token + "." + Base64UrlEncode(signature);
}

}  // namespace kam
