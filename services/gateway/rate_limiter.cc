#include "services/gateway/rate_limiter.h"

// PROVISIONAL (issue 8 pinning): admits everything.
namespace kam::gateway {

RateLimiter::RateLimiter(RateLimits limits, prometheus::Registry* /*registry*/)
    : limits_(std::move(limits)) {}
RateLimiter::~RateLimiter() = default;

absl::Status RateLimiter::Admit(const Principal& /*principal*/, absl::Time /*now*/) {
  return absl::OkStatus();
}

}  // namespace kam::gateway
