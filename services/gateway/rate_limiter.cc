#include "services/gateway/rate_limiter.h"

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <functional>
#include <string_view>

namespace kam::gateway {
namespace {

// How often a shard looks for idle buckets. Sweeping costs one pass over the shard's
// buckets under its lock, so it is rare; between sweeps a shard holds at most the callers
// seen in the last interval (plus those still refilling).
constexpr absl::Duration kSweepInterval = absl::Seconds(60);

bool MoreGenerous(const RateLimit& a, const RateLimit& b) {
  return a.per_second != b.per_second ? a.per_second > b.per_second : a.burst > b.burst;
}

}  // namespace

RateLimiter::RateLimiter(RateLimits limits, prometheus::Registry* registry)
    : limits_(std::move(limits)) {
  prometheus::Family<prometheus::Counter>* refused = nullptr;
  if (registry != nullptr) {
    refused = &prometheus::BuildCounter()
                   .Name("kam_gateway_rate_limited_total")
                   .Help("Calls refused because the caller exceeded their role's rate limit")
                   .Register(*registry);
  }
  for (const auto& [role, limit] : limits_) {
    // Pre-created so that dashboards and alerts see a zero, not a missing series.
    roles_[role] = RoleLimit{limit, refused ? &refused->Add({{"role", role}}) : nullptr};
  }
}

RateLimiter::~RateLimiter() = default;

const std::pair<const std::string, RateLimiter::RoleLimit>* RateLimiter::LimitFor(
    const Principal& principal) const {
  const std::pair<const std::string, RoleLimit>* best = nullptr;
  for (const std::string& role : principal.roles) {
    const auto entry = roles_.find(role);
    if (entry == roles_.end()) return nullptr;  // an unlimited role is the most generous
    if (best == nullptr || MoreGenerous(entry->second.limit, best->second.limit)) best = &*entry;
  }
  return best;
}

RateLimiter::Shard& RateLimiter::ShardFor(const std::string& subject) {
  return shards_[std::hash<std::string_view>()(subject) % kShards];
}

// A full bucket behaves exactly as a new one, so dropping it forgets nothing.
void RateLimiter::Sweep(Shard& shard, absl::Time now) {
  for (auto it = shard.buckets.begin(); it != shard.buckets.end();) {
    it = it->second.full_at <= now ? shard.buckets.erase(it) : std::next(it);
  }
  shard.next_sweep = now + kSweepInterval;
}

absl::Status RateLimiter::Admit(const Principal& principal, absl::Time now) {
  const auto* role = LimitFor(principal);
  if (role == nullptr) return absl::OkStatus();
  const RateLimit& limit = role->second.limit;

  Shard& shard = ShardFor(principal.subject);
  bool admitted = false;
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    if (now >= shard.next_sweep) Sweep(shard, now);
    auto [entry, created] = shard.buckets.try_emplace(principal.subject);
    Bucket& bucket = entry->second;
    if (created) {
      bucket.tokens = limit.burst;
      bucket.last = now;
    } else if (now > bucket.last) {  // the wall clock may step back; never refill backwards
      bucket.tokens = std::min(
          limit.burst, bucket.tokens + absl::ToDoubleSeconds(now - bucket.last) * limit.per_second);
      bucket.last = now;
    }
    // The caller's roles may have changed since the bucket was filled.
    bucket.tokens = std::min(bucket.tokens, limit.burst);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      admitted = true;
    }
    bucket.full_at = bucket.last + absl::Seconds((limit.burst - bucket.tokens) / limit.per_second);
  }
  if (admitted) return absl::OkStatus();
  if (role->second.refused != nullptr) role->second.refused->Increment();
  return absl::ResourceExhaustedError("rate limit exceeded, retry later");
}

size_t RateLimiter::TrackedCallers() {
  size_t callers = 0;
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    callers += shard.buckets.size();
  }
  return callers;
}

}  // namespace kam::gateway
