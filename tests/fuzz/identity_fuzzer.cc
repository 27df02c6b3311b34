// The identity the gateway forwards to the services (services/common/identity.*): every
// service trusts a caller only through VerifyIdentity.
//
// Input: a mode byte, then
//   mode 0: "<payload>\n<signature>", both as sent in x-kam-identity / x-kam-identity-sig;
//   mode 1: a payload JSON text, encoded and signed here with the service key, so that the
//           payload parser sees fuzzed JSON;
//   mode 2: "<subject>\n<department>\n<role>\n<role>...", a principal signed with
//           SignIdentity: it must verify as exactly that principal.
//
// Properties: a refusal is UNAUTHENTICATED; nothing verifies for another method or under
// another key; a signed principal comes back unchanged.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include "services/common/digest.h"
#include "services/common/identity.h"
#include "tests/fuzz/fuzz_support.h"

namespace kam::fuzz {
namespace {

constexpr char kKey[] = "fuzz-identity-key-of-at-least-32-bytes";
constexpr char kOtherKey[] = "another-identity-key-of-32-bytes-too";
constexpr char kMethod[] = "/kam.accounts.v1.AccountService/GetAccount";
constexpr char kOtherMethod[] = "/kam.accounts.v1.AccountService/TransferAccounts";

SignedIdentity ReadRaw(std::string_view input) {
  const auto [payload, signature] = SplitOnce(input, '\n');
  return {std::string(payload), std::string(signature)};
}

SignedIdentity SignPayload(std::string_view json) {
  SignedIdentity identity;
  identity.payload = Base64UrlEncode(json);
  identity.signature = Base64UrlEncode(HmacSha256(kKey, identity.payload));
  return identity;
}

Principal ReadPrincipal(std::string_view input) {
  Principal principal;
  auto [subject, rest] = SplitOnce(input, '\n');
  auto [department, roles] = SplitOnce(rest, '\n');
  principal.subject = std::string(subject);
  principal.department = std::string(department);
  while (!roles.empty()) {
    auto [role, more] = SplitOnce(roles, '\n');
    principal.roles.emplace_back(role);
    roles = more;
  }
  return principal;
}

// The gateway signs principals read from JSON (tokens, the API keys file), which are valid
// UTF-8 by then; SignIdentity may assume it.
bool IsUtf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

bool IsUtf8(const Principal& principal) {
  if (!IsUtf8(principal.subject) || !IsUtf8(principal.department)) return false;
  for (const std::string& role : principal.roles) {
    if (!IsUtf8(role)) return false;
  }
  return true;
}

void CheckRoundTrip(const Principal& sent) {
  if (!IsUtf8(sent)) return;
  const SignedIdentity identity = SignIdentity(sent, kMethod, kKey, FixedNow() + absl::Minutes(1));
  const absl::StatusOr<Principal> got = VerifyIdentity(identity, kMethod, kKey, FixedNow());
  if (!got.ok()) Fail("a signed identity does not verify: " + got.status().ToString());
  if (got->subject != sent.subject || got->roles != sent.roles ||
      got->department != sent.department) {
    Fail("a signed identity verifies as another principal");
  }
}

}  // namespace
}  // namespace kam::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kam::fuzz;
  std::string_view input = AsText(data, size);
  const int mode = TakeByte(input) % 3;
  if (mode == 2) {
    CheckRoundTrip(ReadPrincipal(input));
    return 0;
  }
  const kam::SignedIdentity identity = mode == 0 ? ReadRaw(input) : SignPayload(input);
  const absl::StatusOr<kam::Principal> verified =
      kam::VerifyIdentity(identity, kMethod, kKey, FixedNow());
  ExpectOkOr(verified.status(), absl::StatusCode::kUnauthenticated, "VerifyIdentity");
  if (kam::VerifyIdentity(identity, kOtherMethod, kKey, FixedNow()).ok() && verified.ok()) {
    Fail("one identity verified for two methods");
  }
  if (kam::VerifyIdentity(identity, kMethod, kOtherKey, FixedNow()).ok()) {
    Fail("an identity verified under a key that did not sign it");
  }
  if (kam::VerifyIdentity(identity, kMethod, "", FixedNow()).ok()) {
    Fail("an identity verified under an empty key");
  }
  return 0;
}
