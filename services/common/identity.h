#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace kam {

inline constexpr char kIdentityHeader[] = "x-kam-identity";
inline constexpr char kIdentitySignatureHeader[] = "x-kam-identity-sig";
inline constexpr char kRequestIdHeader[] = "x-request-id";

// Every role KAM Suite knows (ARCHITECTURE.md, "The gateway"). Tokens naming any other role
// are refused, and the gateway policy may name no other.
inline constexpr std::string_view kRoles[] = {
    "admin", "director", "account_manager", "service_agent", "handler", "analyst", "system"};
bool IsKnownRole(std::string_view role);

// Who is calling, as established by the gateway.
struct Principal {
  std::string subject;
  std::vector<std::string> roles;
  std::string department;

  bool HasRole(std::string_view role) const;
  bool HasAnyRole(std::initializer_list<std::string_view> roles) const;
};

// The identity the gateway forwards: a JSON payload and its HMAC-SHA256, both base64url.
struct SignedIdentity {
  std::string payload;
  std::string signature;
};

// Signs `principal` for one call of `method` ("/pkg.Service/Method"); `expires` bounds
// replay of captured metadata, and the method binding keeps it from being replayed against
// any other method or service.
SignedIdentity SignIdentity(const Principal& principal, std::string_view method,
                            std::string_view key, absl::Time expires);

// UNAUTHENTICATED unless the signature verifies under `key`, the payload was issued for
// `method` and has not expired (30 s of clock skew allowed).
absl::StatusOr<Principal> VerifyIdentity(const SignedIdentity& identity, std::string_view method,
                                         std::string_view key, absl::Time now);

// Base64url without padding, shared with the JWT code.
std::string Base64UrlEncode(std::string_view data);
bool Base64UrlDecode(std::string_view encoded, std::string* out);
// Compares secrets without leaking where they differ through timing.
bool ConstantTimeEquals(std::string_view a, std::string_view b);
// A random UUIDv4, for event ids and request ids.
std::string NewUuid();

}  // namespace kam
