#include "services/gateway/in_flight_limit.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <string>
#include <vector>

namespace kam::gateway {
namespace {

TEST(InFlightLimitTest, RefusesPastTheCapUntilASlotIsGivenBack) {
  InFlightLimit limit(2, nullptr);
  absl::StatusOr<InFlightLimit::Slot> first = limit.Acquire();
  absl::StatusOr<InFlightLimit::Slot> second = limit.Acquire();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());

  absl::StatusOr<InFlightLimit::Slot> third = limit.Acquire();
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(third.status().message(), "gateway overloaded, retry later");
  EXPECT_EQ(limit.in_flight(), 2);

  *first = InFlightLimit::Slot();  // the call ended
  EXPECT_EQ(limit.in_flight(), 1);
  EXPECT_TRUE(limit.Acquire().ok());  // taken and given back at once
  EXPECT_EQ(limit.in_flight(), 1);
}

TEST(InFlightLimitTest, AMovedSlotIsGivenBackOnce) {
  InFlightLimit limit(1, nullptr);
  {
    absl::StatusOr<InFlightLimit::Slot> slot = limit.Acquire();
    ASSERT_TRUE(slot.ok());
    InFlightLimit::Slot moved = *std::move(slot);
    EXPECT_EQ(limit.in_flight(), 1);
  }
  EXPECT_EQ(limit.in_flight(), 0);
  EXPECT_TRUE(limit.Acquire().ok());
}

TEST(InFlightLimitTest, ZeroMeansNoCap) {
  InFlightLimit limit(0, nullptr);
  std::vector<InFlightLimit::Slot> slots;
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<InFlightLimit::Slot> slot = limit.Acquire();
    ASSERT_TRUE(slot.ok());
    slots.push_back(*std::move(slot));
  }
  EXPECT_EQ(limit.in_flight(), 1000);
}

TEST(InFlightLimitTest, CountsRefusalsAndShowsCallsInFlight) {
  prometheus::Registry registry;
  InFlightLimit limit(1, &registry);
  absl::StatusOr<InFlightLimit::Slot> held = limit.Acquire();
  ASSERT_TRUE(held.ok());
  EXPECT_FALSE(limit.Acquire().ok());
  EXPECT_FALSE(limit.Acquire().ok());
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_NE(text.find("kam_gateway_overload_refused_total 2"), std::string::npos) << text;
  EXPECT_NE(text.find("kam_gateway_in_flight_calls 1"), std::string::npos) << text;
}

// Calls whose deadline leaves less than forwarded calls lately took: refused while busy.
TEST(InFlightLimitTest, WhileBusyRefusesCallsWithLessDeadlineLeftThanCallsTake) {
  using std::chrono::milliseconds;
  InFlightLimit limit(4, nullptr);
  for (int i = 0; i < 200; ++i) limit.NoteCallTime(milliseconds(20));
  EXPECT_GT(limit.recent_call_time(), milliseconds(15));
  const auto now = std::chrono::system_clock::now();
  const auto no_deadline = std::chrono::system_clock::time_point::max();

  // Not busy: room for everyone, whatever their deadline.
  absl::StatusOr<InFlightLimit::Slot> first = limit.Acquire(now + milliseconds(1), now);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<InFlightLimit::Slot> second = limit.Acquire(now + milliseconds(1), now);
  ASSERT_TRUE(second.ok()) << second.status();

  // Half in flight: busy. Too little deadline left is refused; enough, or none set, is not.
  absl::StatusOr<InFlightLimit::Slot> hurried = limit.Acquire(now + milliseconds(5), now);
  EXPECT_TRUE(absl::IsResourceExhausted(hurried.status())) << hurried.status();
  EXPECT_NE(hurried.status().message().find("deadline"), std::string::npos);
  EXPECT_EQ(limit.in_flight(), 2);
  absl::StatusOr<InFlightLimit::Slot> patient = limit.Acquire(now + milliseconds(500), now);
  EXPECT_TRUE(patient.ok()) << patient.status();
  absl::StatusOr<InFlightLimit::Slot> unbounded = limit.Acquire(no_deadline, now);
  EXPECT_TRUE(unbounded.ok()) << unbounded.status();
}

TEST(InFlightLimitTest, RecentCallTimeFollowsTheCalls) {
  using std::chrono::milliseconds;
  InFlightLimit limit(4, nullptr);
  EXPECT_EQ(limit.recent_call_time(), milliseconds(0));
  for (int i = 0; i < 300; ++i) limit.NoteCallTime(milliseconds(100));
  EXPECT_GT(limit.recent_call_time(), milliseconds(90));
  limit.NoteCallTime(milliseconds(5000));  // one slow call barely moves it
  EXPECT_LT(limit.recent_call_time(), milliseconds(300));
  for (int i = 0; i < 300; ++i) limit.NoteCallTime(milliseconds(2));
  EXPECT_LT(limit.recent_call_time(), milliseconds(10));
}

}  // namespace
}  // namespace kam::gateway
