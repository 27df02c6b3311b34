#include "services/gateway/auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "services/common/identity.h"

namespace kam::gateway {
namespace {

constexpr absl::string_view kBearer = "Bearer ";

std::string Value(const Metadata& metadata, std::string_view key) {
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  return it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
}

bool IsUsableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Caller> Authenticate(const Metadata& metadata, const JwtVerifier& verifier,
                                    absl::Time now) {
  const std::string header = Value(metadata, "authorization");
  if (header.empty()) return absl::UnauthenticatedError("missing authorization: Bearer token");
  if (!absl::StartsWithIgnoreCase(header, kBearer)) {
    return absl::UnauthenticatedError("authorization must be a Bearer token");
  }
  absl::StatusOr<JwtClaims> claims =
      VerifyJwt(std::string_view(header).substr(kBearer.size()), verifier, now);
  if (!claims.ok()) return claims.status();
  Caller caller;
  caller.principal = std::move(claims->principal);
  caller.request_id = Value(metadata, kRequestIdHeader);
  if (!IsUsableRequestId(caller.request_id)) caller.request_id = NewUuid();
  return caller;
}

}  // namespace kam::gateway
