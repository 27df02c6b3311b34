#include "services/common/identity.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "services/common/digest.h"

namespace kam {
namespace {

constexpr absl::Duration kIdentitySkew = absl::Seconds(30);

// Debian's abseil is built with its own absl::string_view, which std::string_view does not
// convert to implicitly.
absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status Unauthenticated(absl::string_view why) { return absl::UnauthenticatedError(why); }

bool IsStringArray(const nlohmann::json& value) {
  return value.is_array() &&
         std::all_of(value.begin(), value.end(), [](const auto& v) { return v.is_string(); });
}

// The payload was signed by the gateway, but it is still checked field by field so that a
// gateway bug surfaces as UNAUTHENTICATED rather than as an exception in a handler.
absl::StatusOr<Principal> ParsePayload(std::string_view json, std::string_view method,
                                       absl::Time now) {
  const auto payload = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object()) return Unauthenticated("identity malformed");
  const auto sub = payload.find("sub");
  const auto roles = payload.find("roles");
  const auto dept = payload.find("dept");
  const auto exp = payload.find("exp");
  const auto bound_method = payload.find("m");
  if (bound_method == payload.end() || !bound_method->is_string()) {
    return Unauthenticated("identity malformed");
  }
  if (bound_method->get_ref<const std::string&>() != method) {
    return Unauthenticated("identity issued for another method");
  }
  if (sub == payload.end() || !sub->is_string() || roles == payload.end() ||
      !IsStringArray(*roles) || (dept != payload.end() && !dept->is_string()) ||
      exp == payload.end() || !exp->is_number_integer()) {
    return Unauthenticated("identity malformed");
  }
  if (now >= absl::FromUnixSeconds(exp->get<int64_t>()) + kIdentitySkew) {
    return Unauthenticated("identity expired");
  }
  Principal principal;
  principal.subject = sub->get<std::string>();
  principal.roles = roles->get<std::vector<std::string>>();
  if (dept != payload.end()) principal.department = dept->get<std::string>();
  return principal;
}

SignedIdentity SignUncached(const Principal& principal, std::string_view method,
                            std::string_view key, int64_t expires_unix) {
  const nlohmann::json payload = {{"m", method},
                                  {"sub", principal.subject},
                                  {"roles", principal.roles},
                                  {"dept", principal.department},
                                  {"exp", expires_unix}};
  SignedIdentity signed_identity;
  signed_identity.payload = Base64UrlEncode(payload.dump());
  // The MAC covers the encoded text exactly as sent, so verification needs no re-encoding.
  signed_identity.signature = Base64UrlEncode(HmacSha256(key, signed_identity.payload));
  return signed_identity;
}

// Signing is a pure function of (principal, method, key, expiry second), and the gateway
// signs the same caller for the same method many times a second (exp has one-second
// resolution, and callers use fixed deadlines), so each thread remembers its recent
// signatures. Same inputs, same bytes: nothing about the identity changes, its expiry
// included. Per thread, so no lock; direct-mapped, so bounded (kSignMemoSlots entries per
// thread, each holding one identity).
constexpr size_t kSignMemoSlots = 64;

struct SignMemoSlot {
  bool used = false;
  size_t hash = 0;
  int64_t expires_unix = 0;
  Principal principal;
  std::string method;
  std::string key;
  SignedIdentity identity;
};

size_t HashSignInputs(const Principal& principal, std::string_view method, std::string_view key,
                      int64_t expires_unix) {
  const std::hash<std::string_view> hash;
  size_t h = std::hash<int64_t>()(expires_unix);
  auto mix = [&h](size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  mix(hash(principal.subject));
  for (const std::string& role : principal.roles) mix(hash(role));
  mix(principal.roles.size());
  mix(hash(principal.department));
  mix(hash(method));
  mix(hash(key));
  return h;
}

bool SameSignInputs(const SignMemoSlot& slot, size_t hash, const Principal& principal,
                    std::string_view method, std::string_view key, int64_t expires_unix) {
  return slot.used && slot.hash == hash && slot.expires_unix == expires_unix &&
         slot.method == method && slot.principal.subject == principal.subject &&
         slot.principal.roles == principal.roles &&
         slot.principal.department == principal.department && slot.key == key;
}

}  // namespace

bool IsKnownRole(std::string_view role) {
  return std::find(std::begin(kRoles), std::end(kRoles), role) != std::end(kRoles);
}

bool Principal::HasRole(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool Principal::HasAnyRole(std::initializer_list<std::string_view> wanted) const {
  return std::any_of(wanted.begin(), wanted.end(),
                     [this](std::string_view role) { return HasRole(role); });
}

SignedIdentity SignIdentity(const Principal& principal, std::string_view method,
                            std::string_view key, absl::Time expires) {
  thread_local std::array<SignMemoSlot, kSignMemoSlots> memo;
  const int64_t expires_unix = absl::ToUnixSeconds(expires);
  const size_t hash = HashSignInputs(principal, method, key, expires_unix);
  SignMemoSlot& slot = memo[hash % kSignMemoSlots];
  if (!SameSignInputs(slot, hash, principal, method, key, expires_unix)) {
    slot.identity = SignUncached(principal, method, key, expires_unix);
    slot.used = true;
    slot.hash = hash;
    slot.expires_unix = expires_unix;
    slot.principal = principal;
    slot.method = std::string(method);
    slot.key = std::string(key);
  }
  return slot.identity;
}

absl::StatusOr<Principal> VerifyIdentity(const SignedIdentity& identity, std::string_view method,
                                         std::string_view key, absl::Time now) {
  if (identity.payload.empty() || identity.signature.empty()) {
    return Unauthenticated("identity missing");
  }
  // An unconfigured key must not make every empty-key signature valid.
  if (key.empty()) return Unauthenticated("identity key not configured");
  std::string signature;
  if (!Base64UrlDecode(identity.signature, &signature) ||
      !ConstantTimeEquals(signature, HmacSha256(key, identity.payload))) {
    return Unauthenticated("identity signature invalid");
  }
  std::string json;
  if (!Base64UrlDecode(identity.payload, &json)) return Unauthenticated("identity malformed");
  return ParsePayload(json, method, now);
}

std::string Base64UrlEncode(std::string_view data) {
  return absl::WebSafeBase64Escape(ToAbsl(data));
}

bool Base64UrlDecode(std::string_view encoded, std::string* out) {
  // absl also accepts padding, whitespace and stray low bits; requiring the canonical
  // spelling gives each token exactly one encoding.
  if (absl::WebSafeBase64Unescape(ToAbsl(encoded), out) && Base64UrlEncode(*out) == encoded) {
    return true;
  }
  out->clear();
  return false;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Lengths are not secret (a MAC's length is public); the contents are.
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string NewUuid() {
  // The gateway makes one per call without a usable x-request-id, and each RAND_bytes call
  // costs more than the rest of the id: fetch the bytes for 64 ids at once, per thread (no
  // lock). They are the same CSPRNG's output, only fetched ahead. (A forked child would share
  // the remaining bytes; no KAM process forks without exec.)
  constexpr size_t kIdsPerFetch = 64;
  thread_local unsigned char pool[16 * kIdsPerFetch];
  thread_local size_t next = sizeof(pool);
  if (next == sizeof(pool)) {
    if (RAND_bytes(pool, sizeof(pool)) != 1) {
      // Ids must be unpredictable and unique; without a working CSPRNG nothing is safe to do.
      std::fputs("RAND_bytes failed: no usable random source\n", stderr);
      std::abort();
    }
    next = 0;
  }
  unsigned char bytes[16];
  std::memcpy(bytes, pool + next, sizeof(bytes));
  OPENSSL_cleanse(pool + next, sizeof(bytes));
  next += sizeof(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;  // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80;  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(36, '-');
  size_t at = 0;
  for (size_t i = 0; i < sizeof(bytes); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++at;  // the dashes of 8-4-4-4-12
    id[at++] = kHex[bytes[i] >> 4];
    id[at++] = kHex[bytes[i] & 0x0f];
  }
  return id;
}

}  // namespace kam
