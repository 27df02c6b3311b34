#pragma once

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/common/identity.h"

namespace prometheus {
class Counter;
class Registry;
}  // namespace prometheus

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

  // How many callers have a bucket (tests: idle buckets are dropped).
  size_t TrackedCallers();

 private:
  struct RoleLimit {
    RateLimit limit;
    prometheus::Counter* refused = nullptr;  // null without a registry
  };
  struct Bucket {
    double tokens = 0;
    absl::Time last;     // when `tokens` was last brought up to date
    absl::Time full_at;  // from then on it is full, as a new one would be: it may be dropped
  };
  // Callers are spread over shards by subject so that concurrent callers rarely share a
  // lock; each shard drops its idle buckets now and then (Sweep).
  struct alignas(64) Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Bucket> buckets;  // by subject
    absl::Time next_sweep = absl::InfinitePast();
  };
  static constexpr size_t kShards = 16;

  // The most generous limit among the principal's roles; null when one of them is not
  // limited (or the principal has no roles).
  const std::pair<const std::string, RoleLimit>* LimitFor(const Principal& principal) const;
  Shard& ShardFor(const std::string& subject);
  static void Sweep(Shard& shard, absl::Time now);

  RateLimits limits_;
  std::map<std::string, RoleLimit, std::less<>> roles_;
  std::array<Shard, kShards> shards_;
};

}  // namespace kam::gateway
