#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/gateway/auth.h"
#include "services/gateway/policy.h"
#include "services/gateway/rate_limiter.h"

namespace kam::gateway {

// The checks every call through the gateway passes, in this order: who is calling
// (UNAUTHENTICATED), may their roles call this method (PERMISSION_DENIED), is the caller
// within their rate limit (RESOURCE_EXHAUSTED). Shared by the forwarder and the gateway's
// own methods.
class Admission {
 public:
  Admission(const Authenticator* authenticator, const Policy* policy, RateLimiter* rate_limiter)
      : authenticator_(*authenticator), policy_(*policy), rate_limiter_(*rate_limiter) {}

  absl::StatusOr<Caller> Admit(const Metadata& metadata, std::string_view full_method,
                               absl::Time now) const;

  const Policy& policy() const { return policy_; }

 private:
  const Authenticator& authenticator_;
  const Policy& policy_;
  RateLimiter& rate_limiter_;
};

}  // namespace kam::gateway
