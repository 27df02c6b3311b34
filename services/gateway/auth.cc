#include "services/gateway/auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "services/common/identity.h"

// PROVISIONAL (issue 8 pinning): HS256 only, no cache, no metrics, no reload.
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

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(
    AuthOptions options, prometheus::Registry* /*registry*/) {
  return std::unique_ptr<Authenticator>(new Authenticator(std::move(options)));
}

Authenticator::Authenticator(AuthOptions options) : options_(std::move(options)) {}
Authenticator::~Authenticator() = default;

void Authenticator::Reload() {}

absl::StatusOr<Caller> Authenticator::Authenticate(const Metadata& metadata, absl::Time now) const {
  const std::string header = Value(metadata, "authorization");
  if (header.empty()) return absl::UnauthenticatedError("missing authorization: Bearer token");
  if (!absl::StartsWithIgnoreCase(header, kBearer)) {
    return absl::UnauthenticatedError("authorization must be a Bearer token");
  }
  absl::StatusOr<JwtClaims> claims =
      VerifyJwt(std::string_view(header).substr(kBearer.size()), options_.verifier, now);
  if (!claims.ok()) return claims.status();
  Caller caller;
  caller.principal = std::move(claims->principal);
  caller.request_id = Value(metadata, kRequestIdHeader);
  if (!IsUsableRequestId(caller.request_id)) caller.request_id = NewUuid();
  return caller;
}

}  // namespace kam::gateway
