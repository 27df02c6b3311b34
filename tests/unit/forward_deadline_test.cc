#include <gtest/gtest.h>

#include "services/gateway/forwarder.h"

namespace kam::gateway {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

const system_clock::time_point kNow = system_clock::time_point() + seconds(1'800'000'000);

ForwarderOptions Options() {
  ForwarderOptions options;
  options.default_deadline = absl::Seconds(10);
  options.max_deadline = absl::Seconds(60);
  options.max_stream_deadline = absl::Hours(24);
  return options;
}

TEST(ForwardDeadline, CallerWithoutDeadlineGetsTheDefault) {
  EXPECT_EQ(ForwardDeadline(system_clock::time_point::max(), kNow, Options()), kNow + seconds(10));
}

TEST(ForwardDeadline, CallerDeadlineWithinTheCapIsKept) {
  EXPECT_EQ(ForwardDeadline(kNow + seconds(3), kNow, Options()), kNow + seconds(3));
  EXPECT_EQ(ForwardDeadline(kNow + seconds(45), kNow, Options()), kNow + seconds(45));
}

TEST(ForwardDeadline, LongCallerDeadlineIsCapped) {
  EXPECT_EQ(ForwardDeadline(kNow + seconds(3600), kNow, Options()), kNow + seconds(60));
}

TEST(ForwardStreamDeadline, CallerWithoutDeadlineGetsTheStreamCapNotTheUnaryDefault) {
  EXPECT_EQ(ForwardStreamDeadline(system_clock::time_point::max(), kNow, Options()),
            kNow + std::chrono::hours(24));
}

TEST(ForwardStreamDeadline, CallerDeadlineIsKeptBeyondTheUnaryCapAndCappedAtTheStreamCap) {
  EXPECT_EQ(ForwardStreamDeadline(kNow + seconds(3600), kNow, Options()), kNow + seconds(3600));
  EXPECT_EQ(ForwardStreamDeadline(kNow + std::chrono::hours(48), kNow, Options()),
            kNow + std::chrono::hours(24));
}

}  // namespace
}  // namespace kam::gateway
