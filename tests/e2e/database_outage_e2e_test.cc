// Readiness follows the database, liveness does not, and the suite recovers by itself.
// Linked last so that the outage runs after the other tests; it restarts the database even
// when it fails, so a test running after it still finds one.
#include <chrono>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/time/clock.h"
#include "tests/e2e/e2e_fixture.h"

namespace kam::e2e {
namespace {

constexpr absl::Duration kNoticeOutage = absl::Seconds(10);
constexpr absl::Duration kNoticeRecovery = absl::Seconds(15);

using DatabaseOutageTest = E2eTest;

// Whether every database-backed service reports `status` for readiness within `timeout`.
::testing::AssertionResult AllReadinessBecomes(Health::ServingStatus status,
                                               absl::Duration timeout) {
  for (const ServiceProcess* service : KamStack::Get().DatabaseServices()) {
    if (!Eventually([&] { return HealthStatus(service->address(), "") == status; }, timeout)) {
      return ::testing::AssertionFailure()
             << service->name << " readiness is not " << Health::ServingStatus_Name(status)
             << " after " << absl::FormatDuration(timeout);
    }
  }
  return ::testing::AssertionSuccess();
}

using ReadinessTest = E2eTest;

TEST_F(ReadinessTest, StaysServingWhileTheDatabaseIsUp) {
  // Several readiness probe periods (1 s each): a probe that fails now and then shows here.
  const absl::Time end = absl::Now() + absl::Seconds(2.5);
  while (absl::Now() < end) {
    for (const ServiceProcess* service : stack().DatabaseServices()) {
      ASSERT_EQ(HealthStatus(service->address(), ""), Health::SERVING) << service->name;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

TEST_F(DatabaseOutageTest, ReadinessFollowsTheDatabaseAndServicesRecoverWithoutRestart) {
  const Caller director = As("dana", {"director"});
  v1::Account account;
  ASSERT_THAT(Create(director, Draft("survivor"), &account), GrpcOk());

  ASSERT_TRUE(stack().db().Stop().ok());
  absl::Cleanup restart = [] { (void)KamStack::Get().db().StartAgain(); };
  EXPECT_TRUE(AllReadinessBecomes(Health::NOT_SERVING, kNoticeOutage));
  for (const ServiceProcess* service : stack().DatabaseServices()) {
    EXPECT_EQ(HealthStatus(service->address(), "liveness"), Health::SERVING) << service->name;
  }
  EXPECT_THAT(Get(director, account.id()), GrpcError(grpc::StatusCode::UNAVAILABLE, ""));

  const absl::Status started = stack().db().StartAgain();
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_TRUE(AllReadinessBecomes(Health::SERVING, kNoticeRecovery));
  v1::Account again;
  EXPECT_THAT(Get(director, account.id(), &again), GrpcOk());
  EXPECT_EQ(again.name(), account.name());
  for (const ServiceProcess& service : stack().services()) {
    EXPECT_TRUE(service.process->Running()) << service.name << " must not have restarted";
  }
}

}  // namespace
}  // namespace kam::e2e
