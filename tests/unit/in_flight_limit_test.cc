#include "services/gateway/in_flight_limit.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

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

}  // namespace
}  // namespace kam::gateway
