#include "services/gateway/rate_limiter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace kam::gateway {
namespace {

// Fixed start; every test moves time by hand, so nothing here depends on the clock.
const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

Principal Caller(std::string subject, std::vector<std::string> roles) {
  return {std::move(subject), std::move(roles), ""};
}

// How many of `calls` back-to-back calls at `now` are admitted.
int AdmittedOf(RateLimiter& limiter, const Principal& caller, int calls, absl::Time now) {
  int admitted = 0;
  for (int i = 0; i < calls; ++i) admitted += limiter.Admit(caller, now).ok() ? 1 : 0;
  return admitted;
}

double Refused(prometheus::Registry& registry, const std::string& role) {
  for (const auto& family : registry.Collect()) {
    if (family.name != "kam_gateway_rate_limited_total") continue;
    for (const auto& metric : family.metric) {
      if (metric.label.size() == 1 && metric.label[0].value == role) return metric.counter.value;
    }
  }
  return -1;  // no such series
}

const RateLimits kLimits = {{"analyst", {2, 5}}, {"director", {10, 20}}, {"system", {100, 3}}};

TEST(RateLimiterTest, BurstIsAdmittedThenRefusedWithResourceExhausted) {
  RateLimiter limiter(kLimits, nullptr);
  const Principal ann = Caller("ann", {"analyst"});
  EXPECT_EQ(AdmittedOf(limiter, ann, 5, kStart), 5);
  const absl::Status refused = limiter.Admit(ann, kStart);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.message(), "rate limit exceeded, retry later");
}

TEST(RateLimiterTest, TokensRefillAtTheConfiguredRateUpToTheBurst) {
  RateLimiter limiter(kLimits, nullptr);
  const Principal ann = Caller("ann", {"analyst"});
  ASSERT_EQ(AdmittedOf(limiter, ann, 6, kStart), 5);
  // 2 per second: after 499 ms not even one token, after 1.5 s three.
  EXPECT_FALSE(limiter.Admit(ann, kStart + absl::Milliseconds(499)).ok());
  EXPECT_EQ(AdmittedOf(limiter, ann, 10, kStart + absl::Milliseconds(1500)), 3);
  // A long rest refills to the burst, not beyond.
  EXPECT_EQ(AdmittedOf(limiter, ann, 10, kStart + absl::Hours(1)), 5);
}

TEST(RateLimiterTest, EachCallerHasTheirOwnBucket) {
  RateLimiter limiter(kLimits, nullptr);
  ASSERT_EQ(AdmittedOf(limiter, Caller("ann", {"analyst"}), 6, kStart), 5);
  EXPECT_EQ(AdmittedOf(limiter, Caller("bob", {"analyst"}), 6, kStart), 5);
}

TEST(RateLimiterTest, CallerWithSeveralRolesGetsTheMostGenerous) {
  RateLimiter limiter(kLimits, nullptr);
  // director: 10/s burst 20 beats analyst's 2/s burst 5.
  EXPECT_EQ(AdmittedOf(limiter, Caller("dee", {"analyst", "director"}), 30, kStart), 20);
  // system refills fastest (100/s), so it wins although its burst is smallest.
  const Principal feed = Caller("feed", {"director", "system"});
  EXPECT_EQ(AdmittedOf(limiter, feed, 30, kStart), 3);
  EXPECT_EQ(AdmittedOf(limiter, feed, 30, kStart + absl::Milliseconds(20)), 2);
}

TEST(RateLimiterTest, RoleWithoutLimitIsNotLimited) {
  RateLimiter limiter(kLimits, nullptr);
  EXPECT_EQ(AdmittedOf(limiter, Caller("root", {"admin"}), 1000, kStart), 1000);
  EXPECT_EQ(AdmittedOf(limiter, Caller("root2", {"analyst", "admin"}), 1000, kStart), 1000);
  RateLimiter unlimited(RateLimits(), nullptr);
  EXPECT_EQ(AdmittedOf(unlimited, Caller("ann", {"analyst"}), 1000, kStart), 1000);
}

TEST(RateLimiterTest, ClockSteppingBackDoesNotRefill) {
  RateLimiter limiter(kLimits, nullptr);
  const Principal ann = Caller("ann", {"analyst"});
  ASSERT_EQ(AdmittedOf(limiter, ann, 5, kStart), 5);
  EXPECT_FALSE(limiter.Admit(ann, kStart - absl::Hours(1)).ok());
  // Refill resumes from the latest time seen.
  EXPECT_EQ(AdmittedOf(limiter, ann, 10, kStart + absl::Seconds(1)), 2);
}

TEST(RateLimiterTest, LosingAGenerousRoleShrinksTheBucketToTheNewBurst) {
  RateLimiter limiter(kLimits, nullptr);
  ASSERT_EQ(AdmittedOf(limiter, Caller("dee", {"director"}), 1, kStart), 1);
  EXPECT_EQ(AdmittedOf(limiter, Caller("dee", {"analyst"}), 30, kStart), 5);
}

TEST(RateLimiterTest, RefusalsAreCountedByTheRoleWhoseLimitApplied) {
  prometheus::Registry registry;
  RateLimiter limiter(kLimits, &registry);
  // Every configured role has a series before anything is refused.
  for (const char* role : {"analyst", "director", "system"}) EXPECT_EQ(Refused(registry, role), 0);
  AdmittedOf(limiter, Caller("dee", {"analyst", "director"}), 23, kStart);
  AdmittedOf(limiter, Caller("ann", {"analyst"}), 6, kStart);
  EXPECT_EQ(Refused(registry, "director"), 3);
  EXPECT_EQ(Refused(registry, "analyst"), 1);
  EXPECT_EQ(Refused(registry, "admin"), -1);  // not limited, no series
}

TEST(RateLimiterTest, IdleCallersAreForgotten) {
  RateLimiter limiter(kLimits, nullptr);
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(limiter.Admit(Caller(absl::StrCat("early", i), {"analyst"}), kStart).ok());
  }
  EXPECT_EQ(limiter.TrackedCallers(), 500u);
  // Two minutes later every early bucket is full again; new traffic sweeps them away.
  const absl::Time later = kStart + absl::Minutes(2);
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(limiter.Admit(Caller(absl::StrCat("late", i), {"analyst"}), later).ok());
  }
  EXPECT_EQ(limiter.TrackedCallers(), 500u);
}

TEST(RateLimiterTest, CallersStillRefillingAreKept) {
  // One token per 100 s: a drained bucket takes 500 s to fill, longer than a sweep interval.
  RateLimiter limiter({{"handler", {0.01, 5}}, {"analyst", {2, 5}}}, nullptr);
  const Principal hal = Caller("hal", {"handler"});
  ASSERT_EQ(AdmittedOf(limiter, hal, 6, kStart), 5);
  // Traffic at +61 s and +122 s sweeps every shard (500 subjects cover all of them).
  for (int minute : {1, 2}) {
    for (int i = 0; i < 500; ++i) {
      limiter.Admit(Caller(absl::StrCat("x", i), {"analyst"}), kStart + absl::Seconds(61 * minute));
    }
  }
  // Had the sweep dropped hal's bucket, it would come back full (5); it earned two tokens.
  EXPECT_EQ(AdmittedOf(limiter, hal, 10, kStart + absl::Seconds(200)), 2);
}

}  // namespace
}  // namespace kam::gateway
