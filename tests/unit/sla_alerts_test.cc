#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/complaints/procedure.h"
#include "services/complaints/sla.h"

namespace kam::complaints {
namespace {

using ::nlohmann::json;

// A round-the-clock calendar so that business time is wall time: judge 10h (warning at 8h),
// resolve 50h (warning at 40h), level 2 four hours after the level-1 escalation.
SlaPolicy RoundTheClockPolicy() {
  json targets = json::array();
  for (const char* tier : {"A", "B", "C", "D", "untiered"}) {
    for (const char* severity : {"low", "medium", "high", "critical"}) {
      targets.push_back(
          {{"tier", tier}, {"severity", severity}, {"judge", "10h"}, {"resolve", "50h"}});
    }
  }
  json doc = {{"calendar",
               {{"time_zone", "UTC"},
                {"working_days", {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}},
                {"working_hours", json::array({json::array({"00:00", "24:00"})})}}},
              {"escalation_delay", "4h"},
              {"targets", targets}};
  return ParseSlaPolicy(doc.dump()).value();
}

const absl::Time kIntake =
    absl::FromCivil(absl::CivilSecond(2026, 11, 16, 9, 0, 0), absl::UTCTimeZone());
absl::Time At(int hours) { return kIntake + absl::Hours(hours); }

class SlaAlertsTest : public ::testing::Test {
 protected:
  SlaAlertsTest() : policy_(RoundTheClockPolicy()) {
    complaint_.id = 7;
    complaint_.state = State::kRecorded;
    complaint_.create_time = kIntake;
    complaint_.judgment.budget = absl::Hours(10);
    complaint_.judgment.deadline = policy_.Schedule(kIntake, absl::Hours(10));
    complaint_.resolution_clock.budget = absl::Hours(50);
    complaint_.resolution_clock.deadline = policy_.Schedule(kIntake, absl::Hours(50));
  }

  // What fired at `now`, one "kind/level[/escalation level:to]" per alert.
  std::string Fire(absl::Time now, const std::string& manager = "mgr-quality") {
    std::vector<std::string> out;
    for (const SlaAlert& a : FireDueAlerts(now, policy_, manager, complaint_)) {
      std::string s = absl::StrCat(a.kind, "/", a.level);
      if (a.level == "escalation")
        absl::StrAppend(&s, "/", a.escalation_level, ":", a.escalated_to);
      out.push_back(s);
    }
    return absl::StrJoin(out, ",");
  }

  SlaPolicy policy_;
  Complaint complaint_;
};

TEST_F(SlaAlertsTest, EachClockWarnsBreachesAndClimbsItsOwnLadderOnce) {
  EXPECT_EQ(complaint_.judgment.deadline.warn_at, At(8));
  EXPECT_EQ(NextSlaCheck(complaint_), At(8));
  EXPECT_EQ(Fire(At(8) - absl::Seconds(1)), "");

  EXPECT_EQ(Fire(At(8)), "judgment/warning");
  EXPECT_EQ(Fire(At(8)), "");
  EXPECT_EQ(Fire(At(9)), "");
  EXPECT_EQ(NextSlaCheck(complaint_), At(10));

  EXPECT_EQ(Fire(At(10)), "judgment/breach,judgment/escalation/1:mgr-quality");
  EXPECT_EQ(complaint_.judgment.escalation_level, 1);
  EXPECT_EQ(complaint_.judgment.second_escalation_at, At(14));
  EXPECT_EQ(EscalationLevel(complaint_), 1);
  EXPECT_EQ(Fire(At(10)), "");
  EXPECT_EQ(NextSlaCheck(complaint_), At(14));

  EXPECT_EQ(Fire(At(13)), "");
  EXPECT_EQ(Fire(At(14)), "judgment/escalation/2:director");
  EXPECT_EQ(complaint_.judgment.escalation_level, 2);
  EXPECT_EQ(Fire(At(15)), "");
  // Still not judged; the resolution clock breaches too and climbs its own ladder.
  EXPECT_EQ(NextSlaCheck(complaint_), At(40));
  EXPECT_EQ(Fire(At(40)), "resolution/warning");
  EXPECT_EQ(Fire(At(50)), "resolution/breach,resolution/escalation/1:mgr-quality");
  EXPECT_EQ(complaint_.resolution_clock.escalation_level, 1);
  EXPECT_EQ(NextSlaCheck(complaint_), At(54));
  EXPECT_EQ(Fire(At(54)), "resolution/escalation/2:director");
  EXPECT_EQ(EscalationLevel(complaint_), 2);
  EXPECT_EQ(NextSlaCheck(complaint_), std::nullopt);
  EXPECT_EQ(Fire(At(100)), "");
}

// The review's scenario: the judgment breach escalated, then the complaint was judged.
TEST_F(SlaAlertsTest, AJudgmentMetStopsItsLadderAndTheResolutionBreachEscalatesAnew) {
  EXPECT_EQ(Fire(At(10)), "judgment/breach,judgment/escalation/1:mgr-quality");
  complaint_.state = State::kAssigned;
  complaint_.judgment.met_at = At(11);
  // The judgment's level 2 (due at 14h) is off: only the resolution clock is left.
  EXPECT_EQ(NextSlaCheck(complaint_), At(40));
  EXPECT_EQ(Fire(At(14)), "");
  EXPECT_EQ(Fire(At(39)), "");
  EXPECT_EQ(Fire(At(40)), "resolution/warning");
  EXPECT_EQ(Fire(At(50)), "resolution/breach,resolution/escalation/1:mgr-quality");
  EXPECT_EQ(Fire(At(53)), "");
  EXPECT_EQ(Fire(At(54)), "resolution/escalation/2:director");
  EXPECT_EQ(complaint_.judgment.escalation_level, 1) << "the judgment's ladder stopped at 1";
  EXPECT_EQ(complaint_.resolution_clock.escalation_level, 2);
  EXPECT_EQ(NextSlaCheck(complaint_), std::nullopt);
}

// Implemented late (breach recorded, nothing to escalate), then reopened by an unsatisfied
// follow-up: the clock runs again past its deadline, so its ladder starts now.
TEST_F(SlaAlertsTest, AResolutionReopenedPastItsDeadlineEscalatesFromTheReopening) {
  complaint_.state = State::kResolutionImplemented;
  complaint_.judgment.met_at = At(1);
  complaint_.judgment.warned = true;
  complaint_.resolution_clock.met_at = At(51);
  EXPECT_EQ(Fire(At(52)), "resolution/breach");
  EXPECT_EQ(EscalationLevel(complaint_), 0);

  complaint_.state = State::kAssigned;  // what Reopen does to the clock
  complaint_.resolution_clock.met_at.reset();
  EXPECT_EQ(NextSlaCheck(complaint_), At(50)) << "owed since the deadline: due at once";
  EXPECT_EQ(Fire(At(60)), "resolution/escalation/1:mgr-quality");
  EXPECT_EQ(complaint_.resolution_clock.second_escalation_at, At(64));
  EXPECT_EQ(Fire(At(63)), "");
  EXPECT_EQ(Fire(At(64)), "resolution/escalation/2:director");
  EXPECT_EQ(Fire(At(100)), "");
}

TEST_F(SlaAlertsTest, VersionBumpsOnlyWhenSomethingFired) {
  const int64_t before = complaint_.version;
  Fire(At(1));
  EXPECT_EQ(complaint_.version, before);
  Fire(At(8));
  EXPECT_EQ(complaint_.version, before + 1);
  EXPECT_EQ(complaint_.update_time, At(8));
  Fire(At(8));
  EXPECT_EQ(complaint_.version, before + 1);
}

TEST_F(SlaAlertsTest, ABreachFiringInTheSamePassSkipsTheStaleWarning) {
  EXPECT_EQ(Fire(At(11)), "judgment/breach,judgment/escalation/1:mgr-quality");
  EXPECT_TRUE(complaint_.judgment.warned);
  EXPECT_EQ(Fire(At(11)), "");
}

TEST_F(SlaAlertsTest, ASweeperDownPastEverythingFiresEachAlertOnceInOrder) {
  EXPECT_EQ(Fire(At(100)),
            "judgment/breach,judgment/escalation/1:mgr-quality,judgment/escalation/2:director,"
            "resolution/breach,resolution/escalation/1:mgr-quality,"
            "resolution/escalation/2:director");
  EXPECT_EQ(Fire(At(101)), "");
  EXPECT_EQ(NextSlaCheck(complaint_), std::nullopt);
}

TEST_F(SlaAlertsTest, ADepartmentWithoutManagerEscalatesToTheDirector) {
  EXPECT_EQ(Fire(At(10), ""), "judgment/breach,judgment/escalation/1:director");
  EXPECT_EQ(EscalationLevel(complaint_), 1);
}

TEST_F(SlaAlertsTest, APausedComplaintFiresNothing) {
  complaint_.waiting_on_customer = true;
  complaint_.paused_at = At(1);
  EXPECT_EQ(NextSlaCheck(complaint_), std::nullopt);
  EXPECT_EQ(Fire(At(100)), "");
  EXPECT_FALSE(complaint_.judgment.warned);
  EXPECT_EQ(EscalationLevel(complaint_), 0);
}

TEST_F(SlaAlertsTest, AFinalComplaintFiresNothing) {
  complaint_.state = State::kInvalid;
  EXPECT_EQ(NextSlaCheck(complaint_), std::nullopt);
  EXPECT_EQ(Fire(At(100)), "");
}

TEST_F(SlaAlertsTest, AComplaintJudgedInvalidTooLateStillRecordsItsBreachOnce) {
  // Judged invalid at 12 h, 2 h after the judgment deadline, before the sweeper came by.
  complaint_.state = State::kInvalid;
  complaint_.judgment.met_at = At(12);
  complaint_.resolution_clock.met_at = At(12);
  EXPECT_EQ(NextSlaCheck(complaint_), At(10));
  EXPECT_EQ(Fire(At(13)), "judgment/breach");
  EXPECT_EQ(EscalationLevel(complaint_), 0) << "nothing left to escalate";
  EXPECT_EQ(NextSlaCheck(complaint_), std::nullopt);
  EXPECT_EQ(Fire(At(100)), "");
}

TEST_F(SlaAlertsTest, AClockMetOnTimeFiresNothing) {
  complaint_.state = State::kAssigned;
  complaint_.judgment.met_at = At(5);
  complaint_.judgment.warned = true;  // done before the warning
  EXPECT_EQ(NextSlaCheck(complaint_), At(40));
  EXPECT_EQ(Fire(At(12)), "");
  EXPECT_EQ(StatusOf(complaint_.judgment, At(12)), SlaStatus::kMet);
}

TEST_F(SlaAlertsTest, AStepDoneAfterTheWarningTimeButOnTimeNeedsNoWarning) {
  complaint_.state = State::kAssigned;
  complaint_.judgment.met_at = At(9);  // after warn_at, the sweeper had not run
  EXPECT_EQ(NextSlaCheck(complaint_), At(40));
  EXPECT_EQ(Fire(At(9)), "");
}

TEST_F(SlaAlertsTest, AClockMetLateRecordsItsBreachWithoutEscalating) {
  complaint_.state = State::kAssigned;
  complaint_.judgment.met_at = At(11);
  // Still owed: due already passed, so the sweeper is due at once.
  EXPECT_EQ(NextSlaCheck(complaint_), At(10));
  EXPECT_EQ(Fire(At(11)), "judgment/breach");
  EXPECT_EQ(EscalationLevel(complaint_), 0);
  EXPECT_EQ(complaint_.judgment.second_escalation_at, std::nullopt);
  EXPECT_EQ(NextSlaCheck(complaint_), At(40));
  EXPECT_EQ(StatusOf(complaint_.judgment, At(11)), SlaStatus::kMetLate);
}

TEST_F(SlaAlertsTest, AResolutionImplementedBeforeLevelTwoStopsTheEscalation) {
  EXPECT_EQ(Fire(At(10)), "judgment/breach,judgment/escalation/1:mgr-quality");
  complaint_.state = State::kResolutionImplemented;
  complaint_.judgment.met_at = At(11);
  complaint_.resolution_clock.met_at = At(12);
  EXPECT_EQ(NextSlaCheck(complaint_), std::nullopt);
  EXPECT_EQ(Fire(At(20)), "");
  EXPECT_EQ(EscalationLevel(complaint_), 1);
}

TEST_F(SlaAlertsTest, AResolutionImplementedLateIsBreachedButNotEscalated) {
  complaint_.state = State::kResolutionImplemented;
  complaint_.judgment.met_at = At(1);
  complaint_.judgment.warned = true;
  complaint_.resolution_clock.met_at = At(51);
  EXPECT_EQ(NextSlaCheck(complaint_), At(50));
  EXPECT_EQ(Fire(At(52)), "resolution/breach");
  EXPECT_EQ(EscalationLevel(complaint_), 0);
  EXPECT_EQ(NextSlaCheck(complaint_), std::nullopt);
}

TEST(SlaStatusTest, FollowsTheClock) {
  SlaClock clock;
  clock.deadline = {absl::FromUnixSeconds(800), absl::FromUnixSeconds(1000)};
  EXPECT_EQ(StatusOf(clock, absl::FromUnixSeconds(799)), SlaStatus::kOnTrack);
  EXPECT_EQ(StatusOf(clock, absl::FromUnixSeconds(800)), SlaStatus::kAtRisk);
  EXPECT_EQ(StatusOf(clock, absl::FromUnixSeconds(1000)), SlaStatus::kBreached);
  clock.met_at = absl::FromUnixSeconds(1000);
  EXPECT_EQ(StatusOf(clock, absl::FromUnixSeconds(5000)), SlaStatus::kMet);
  clock.met_at = absl::FromUnixSeconds(1001);
  EXPECT_EQ(StatusOf(clock, absl::FromUnixSeconds(5000)), SlaStatus::kMetLate);
}

}  // namespace
}  // namespace kam::complaints
