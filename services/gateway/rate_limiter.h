#pragma once

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/common/identity.h"

namespace prometheus {
class Registry;
}

namespace kam::gateway {

// A token bucket: `per_second` tokens added per second up to `burst`. A role without an
// entry is not limited.
struct RateLimit {
  double per_second = 0;
  double burst = 0;
};
using RateLimits = std::map<std::string, RateLimit, std::less<>>;  // by role

// Per-caller (token subject) rate limits, configured per role in the policy file
// ("rate_limits"). A caller with several roles gets the most generous of their roles'
// limits. Thread-safe; memory bounded (idle buckets are dropped).
class RateLimiter {
 public:
  // `registry` may be null (tests); otherwise kam_gateway_rate_limited_total{role} counts
  // refused calls.
  RateLimiter(RateLimits limits, prometheus::Registry* registry);
  ~RateLimiter();

  // OK and takes a token, or RESOURCE_EXHAUSTED ("rate limit exceeded, retry later") when the
  // caller's bucket is empty.
  absl::Status Admit(const Principal& principal, absl::Time now);

 private:
  RateLimits limits_;
};

}  // namespace kam::gateway
