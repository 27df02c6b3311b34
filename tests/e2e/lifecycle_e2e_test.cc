// Process life cycle as Kubernetes drives it: SIGTERM while serving and while starting.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "tests/e2e/e2e_client.h"
#include "tests/e2e/kam_stack.h"
#include "tests/support/process.h"

namespace kam::e2e {
namespace {

using Health = grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

KamStack& stack() { return KamStack::Get(); }

// With a drain delay, SIGTERM first only turns readiness off (load balancers stop routing
// here) while the server still answers; then it drains and exits cleanly.
TEST(LifecycleTest, DrainDelayKeepsServingWhileReadinessIsOff) {
  absl::StatusOr<ServiceProcess> complaints =
      stack().SpawnExtra("complaints", {{"KAM_DRAIN_DELAY_SECONDS", "2"}});
  ASSERT_TRUE(complaints.ok()) << complaints.status();
  const std::string address = complaints->address();
  ASSERT_TRUE(
      Eventually([&] { return HealthStatus(address, "") == Health::SERVING; }, absl::Seconds(30)))
      << test_support::TailFile(complaints->log_path);

  const absl::Time term = absl::Now();
  ASSERT_TRUE(complaints->process->Signal(SIGTERM).ok());
  ASSERT_TRUE(Eventually([&] { return HealthStatus(address, "") == Health::NOT_SERVING; },
                         absl::Seconds(1)));
  EXPECT_EQ(HealthStatus(address, "liveness"), Health::SERVING)
      << "calls must still be answered during the drain delay";
  const std::optional<int> exit_code = complaints->process->WaitExit(absl::Seconds(10));
  ASSERT_TRUE(exit_code.has_value()) << "did not exit after the drain";
  EXPECT_EQ(*exit_code, 0);
  EXPECT_GE(absl::Now() - term, absl::Seconds(2)) << "exited before the drain delay";
}

// A replica still waiting for its database at start-up must honour SIGTERM at once, not
// after the whole start-up wait (60 s).
TEST(LifecycleTest, SigtermDuringTheStartupWaitForTheDatabaseEndsTheProcess) {
  const int closed_port = test_support::FreeTcpPort();
  absl::StatusOr<ServiceProcess> waiting =
      stack().SpawnExtra("analytics", {{"KAM_DB_PORT", absl::StrCat(closed_port)}});
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  absl::SleepFor(absl::Milliseconds(1500));
  ASSERT_TRUE(waiting->process->Running()) << test_support::TailFile(waiting->log_path);
  ASSERT_TRUE(waiting->process->Signal(SIGTERM).ok());
  const std::optional<int> exit_code = waiting->process->WaitExit(absl::Seconds(5));
  ASSERT_TRUE(exit_code.has_value()) << "SIGTERM ignored while waiting for the database";
  EXPECT_THAT(test_support::ReadFile(waiting->log_path),
              HasSubstr("stopped while waiting for the database"));
}

}  // namespace
}  // namespace kam::e2e
