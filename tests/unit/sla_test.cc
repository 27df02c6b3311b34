#include "services/complaints/sla.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace kam::complaints {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kShanghai[] = "Asia/Shanghai";
constexpr char kNewYork[] = "America/New_York";

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

// A local wall-clock time in `zone`; the week of 2026-11-16 has no holiday in China.
absl::Time Local(int year, int month, int day, int hour, int minute,
                 const std::string& zone = kShanghai) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, 0), Zone(zone));
}

// 2026-11-20 is a Friday, 2026-11-23 the Monday after.
absl::Time Friday(int hour, int minute) { return Local(2026, 11, 20, hour, minute); }
absl::Time Saturday(int hour, int minute) { return Local(2026, 11, 21, hour, minute); }
absl::Time Monday(int hour, int minute) { return Local(2026, 11, 23, hour, minute); }
absl::Time Tuesday(int hour, int minute) { return Local(2026, 11, 24, hour, minute); }

// nlohmann::json would read {{"09:00", "12:00"}} as an object: build the pairs explicitly.
json Periods(std::initializer_list<std::pair<const char*, const char*>> periods) {
  json out = json::array();
  for (const auto& [begin, end] : periods) out.push_back(json::array({begin, end}));
  return out;
}

// Monday to Friday, 09:00-12:00 and 13:00-18:00 in Shanghai, no holidays; every target
// judge 1h / resolve 2h.
json BaseDoc() {
  json targets = json::array();
  for (const char* tier : {"A", "B", "C", "D", "untiered"}) {
    for (const char* severity : {"low", "medium", "high", "critical"}) {
      targets.push_back(
          {{"tier", tier}, {"severity", severity}, {"judge", "1h"}, {"resolve", "2h"}});
    }
  }
  return {{"calendar",
           {{"time_zone", kShanghai},
            {"working_days", {"mon", "tue", "wed", "thu", "fri"}},
            {"working_hours", Periods({{"09:00", "12:00"}, {"13:00", "18:00"}})}}},
          {"escalation_delay", "4h"},
          {"targets", targets}};
}

// Throws (failing the test) when the document does not parse.
SlaPolicy PolicyOf(const json& doc) { return ParseSlaPolicy(doc.dump()).value(); }

BusinessCalendar CalendarOf(const json& doc) { return PolicyOf(doc).calendar(); }

std::string ErrorOf(const json& doc) {
  absl::Status status = ParseSlaPolicy(doc.dump()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message());
}

std::string Show(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S %a", t, Zone(kShanghai));
}

TEST(BusinessCalendarTest, FridayEveningIntakeLandsOnMondayMorning) {
  const BusinessCalendar calendar = CalendarOf(BaseDoc());
  // Friday 17:30-18:00 is 30m; the other 1h30m run from Monday 09:00.
  EXPECT_EQ(Show(calendar.Add(Friday(17, 30), absl::Hours(2))), Show(Monday(10, 30)));
  EXPECT_EQ(calendar.Between(Friday(17, 30), Monday(10, 30)), absl::Hours(2));
}

TEST(BusinessCalendarTest, AMondayHolidayMovesTheDeadlineToTuesday) {
  json doc = BaseDoc();
  doc["calendar"]["holidays"] = {"2026-11-23"};
  const BusinessCalendar calendar = CalendarOf(doc);
  EXPECT_EQ(Show(calendar.Add(Friday(17, 30), absl::Hours(2))), Show(Tuesday(10, 30)));
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2026, 11, 23)));
  EXPECT_EQ(calendar.Between(Friday(0, 0), Tuesday(0, 0)), absl::Hours(8));
}

TEST(BusinessCalendarTest, AnExtraWorkingSaturdayCounts) {
  json doc = BaseDoc();
  doc["calendar"]["extra_working_days"] = {"2026-11-21"};
  const BusinessCalendar calendar = CalendarOf(doc);
  EXPECT_EQ(Show(calendar.Add(Friday(17, 30), absl::Hours(2))), Show(Saturday(10, 30)));
  EXPECT_TRUE(calendar.IsWorkingDay(absl::CivilDay(2026, 11, 21)));
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2026, 11, 22)));
}

TEST(BusinessCalendarTest, ADeadlineInTheLunchBreakMovesPastIt) {
  const BusinessCalendar calendar = CalendarOf(BaseDoc());
  // 10:00 + 2h30m would be 12:30: the break does not count, so 13:30.
  EXPECT_EQ(Show(calendar.Add(Monday(10, 0), absl::Minutes(150))), Show(Monday(13, 30)));
  // Exactly used up at the end of the morning: due at 12:00, not after lunch.
  EXPECT_EQ(Show(calendar.Add(Monday(10, 0), absl::Hours(2))), Show(Monday(12, 0)));
  EXPECT_EQ(calendar.Between(Monday(11, 0), Monday(14, 0)), absl::Hours(2));
}

TEST(BusinessCalendarTest, AStartOutsideWorkingHoursCountsFromTheNextWorkingMoment) {
  const BusinessCalendar calendar = CalendarOf(BaseDoc());
  EXPECT_EQ(Show(calendar.Add(Saturday(11, 0), absl::Hours(1))), Show(Monday(10, 0)));
  EXPECT_EQ(Show(calendar.Add(Monday(7, 0), absl::Hours(1))), Show(Monday(10, 0)));
  EXPECT_EQ(Show(calendar.Add(Monday(12, 30), absl::Hours(1))), Show(Monday(14, 0)));
  EXPECT_EQ(Show(calendar.Add(Friday(20, 0), absl::Minutes(30))), Show(Monday(9, 30)));
  EXPECT_EQ(Show(calendar.Add(Friday(18, 0), absl::Minutes(1))), Show(Monday(9, 1)));
  EXPECT_FALSE(calendar.IsWorkingTime(Monday(12, 30)));
  EXPECT_FALSE(calendar.IsWorkingTime(Monday(18, 0)));
  EXPECT_TRUE(calendar.IsWorkingTime(Monday(9, 0)));
}

TEST(BusinessCalendarTest, ZeroBusinessTimeReturnsTheStartUnchanged) {
  const BusinessCalendar calendar = CalendarOf(BaseDoc());
  EXPECT_EQ(calendar.Add(Saturday(11, 0), absl::ZeroDuration()), Saturday(11, 0));
  EXPECT_EQ(calendar.Add(Monday(10, 0), -absl::Hours(1)), Monday(10, 0));
  EXPECT_EQ(calendar.Between(Monday(10, 0), Monday(10, 0)), absl::ZeroDuration());
  EXPECT_EQ(calendar.Between(Monday(11, 0), Monday(10, 0)), absl::ZeroDuration());
  EXPECT_EQ(calendar.Between(Saturday(0, 0), Monday(9, 0)), absl::ZeroDuration());
}

TEST(BusinessCalendarTest, ATwoWeekBudgetEndsTwoWeeksLater) {
  const BusinessCalendar calendar = CalendarOf(BaseDoc());
  // 8h a day, 40h a week: 80h from Monday 09:00 end on the second Friday at 18:00.
  EXPECT_EQ(Show(calendar.Add(Monday(9, 0), absl::Hours(80))), Show(Local(2026, 12, 4, 18, 0)));
  EXPECT_EQ(calendar.Between(Monday(0, 0), Local(2026, 12, 7, 0, 0)), absl::Hours(80));
}

TEST(BusinessCalendarTest, ABudgetNoCalendarCanSupplyNeverFallsDue) {
  const BusinessCalendar calendar = CalendarOf(BaseDoc());
  EXPECT_EQ(calendar.Add(Monday(9, 0), absl::InfiniteDuration()), absl::InfiniteFuture());
  EXPECT_EQ(calendar.Add(Monday(9, 0), absl::Hours(10'000'000)), absl::InfiniteFuture());
  EXPECT_EQ(calendar.Between(Monday(9, 0), absl::InfiniteFuture()), absl::InfiniteDuration());
}

// Add and Between must agree, or a resumed clock would drift: over many starts (in and out
// of hours, across a holiday and an extra working day) and budgets up to two weeks.
TEST(BusinessCalendarTest, BetweenIsTheInverseOfAdd) {
  json doc = BaseDoc();
  doc["calendar"]["holidays"] = {"2026-11-26"};
  doc["calendar"]["extra_working_days"] = {"2026-11-28"};
  const BusinessCalendar calendar = CalendarOf(doc);
  const std::vector<absl::Duration> budgets = {
      absl::Seconds(1), absl::Minutes(30), absl::Hours(1),  absl::Minutes(179),
      absl::Hours(3),   absl::Hours(8),    absl::Hours(17), absl::Hours(80)};
  int checked = 0;
  for (absl::Time start = Local(2026, 11, 19, 0, 0); start < Local(2026, 12, 3, 0, 0);
       start += absl::Minutes(37)) {
    for (absl::Duration budget : budgets) {
      const absl::Time due = calendar.Add(start, budget);
      ASSERT_GT(due, start) << Show(start);
      ASSERT_EQ(calendar.Between(start, due), budget) << Show(start) << " + " << budget;
      // Earliest such instant: a second less is not enough.
      ASSERT_LT(calendar.Between(start, due - absl::Seconds(1)), budget) << Show(start);
      ++checked;
    }
    // The other way round: Add recovers any instant that closes working time (inside a
    // period or at its end) from Between.
    const absl::Time later = start + absl::Minutes(4321);
    if (calendar.IsWorkingTime(later - absl::Seconds(1))) {
      ASSERT_EQ(calendar.Add(start, calendar.Between(start, later)), later) << Show(start);
    }
  }
  EXPECT_GT(checked, 4000);
}

TEST(BusinessCalendarTest, HoursAreReadInTheCalendarsTimeZone) {
  const BusinessCalendar shanghai = CalendarOf(BaseDoc());
  json doc = BaseDoc();
  doc["calendar"]["time_zone"] = "UTC";
  const BusinessCalendar utc = CalendarOf(doc);
  // 01:00 UTC on Monday is 09:00 in Shanghai: working time there, night in UTC.
  const absl::Time monday_0100_utc =
      absl::FromCivil(absl::CivilSecond(2026, 11, 23, 1, 0, 0), absl::UTCTimeZone());
  EXPECT_TRUE(shanghai.IsWorkingTime(monday_0100_utc));
  EXPECT_FALSE(utc.IsWorkingTime(monday_0100_utc));
  EXPECT_EQ(shanghai.Add(monday_0100_utc, absl::Hours(1)), monday_0100_utc + absl::Hours(1));
  EXPECT_EQ(utc.Add(monday_0100_utc, absl::Hours(1)), monday_0100_utc + absl::Hours(9));
}

TEST(BusinessCalendarTest, DaylightSavingDaysAreMeasuredInRealTime) {
  json doc = BaseDoc();
  doc["calendar"]["time_zone"] = kNewYork;
  doc["calendar"]["working_days"] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  doc["calendar"]["working_hours"] = Periods({{"00:00", "24:00"}});
  const BusinessCalendar calendar = CalendarOf(doc);
  // 2026-03-08: clocks jump from 02:00 to 03:00; 2026-11-01: from 02:00 back to 01:00.
  EXPECT_EQ(calendar.Between(Local(2026, 3, 8, 0, 0, kNewYork), Local(2026, 3, 9, 0, 0, kNewYork)),
            absl::Hours(23));
  EXPECT_EQ(
      calendar.Between(Local(2026, 11, 1, 0, 0, kNewYork), Local(2026, 11, 2, 0, 0, kNewYork)),
      absl::Hours(25));
  EXPECT_EQ(calendar.Add(Local(2026, 3, 8, 0, 0, kNewYork), absl::Hours(3)),
            Local(2026, 3, 8, 4, 0, kNewYork));

  // Hours that straddle the skipped hour hold only the hour that exists.
  doc["calendar"]["working_hours"] = Periods({{"01:00", "03:00"}});
  const BusinessCalendar night = CalendarOf(doc);
  EXPECT_EQ(night.Between(Local(2026, 3, 8, 0, 0, kNewYork), Local(2026, 3, 8, 12, 0, kNewYork)),
            absl::Hours(1));
  EXPECT_EQ(night.Between(Local(2026, 11, 1, 0, 0, kNewYork), Local(2026, 11, 1, 12, 0, kNewYork)),
            absl::Hours(3));
  // Of local 01:30-02:30 and 03:00-04:00, only 01:30-02:00 and 03:00-04:00 exist: 90m.
  doc["calendar"]["working_hours"] = Periods({{"01:30", "02:30"}, {"03:00", "04:00"}});
  EXPECT_EQ(CalendarOf(doc).Between(Local(2026, 3, 8, 0, 0, kNewYork),
                                    Local(2026, 3, 8, 12, 0, kNewYork)),
            absl::Minutes(90));
  for (absl::Time start = Local(2026, 3, 6, 0, 0, kNewYork);
       start < Local(2026, 3, 10, 0, 0, kNewYork); start += absl::Minutes(13)) {
    const absl::Time due = night.Add(start, absl::Minutes(150));
    ASSERT_EQ(night.Between(start, due), absl::Minutes(150));
  }
}

TEST(SlaPolicyTest, TheWarningFiresAtEightyPercentOfTheBudget) {
  const SlaPolicy policy = PolicyOf(BaseDoc());
  EXPECT_DOUBLE_EQ(policy.warn_fraction(), 0.8);
  // 5h from Monday 09:00: warn after 4h (09-12, 13-14), due after 5h.
  const Deadline deadline = policy.Schedule(Monday(9, 0), absl::Hours(5));
  EXPECT_EQ(Show(deadline.warn_at), Show(Monday(14, 0)));
  EXPECT_EQ(Show(deadline.due_at), Show(Monday(15, 0)));

  // Friday 17:30 with 2h: warn after 96m (30m Friday + 66m Monday).
  const Deadline weekend = policy.Schedule(Friday(17, 30), absl::Hours(2));
  EXPECT_EQ(Show(weekend.warn_at), Show(Monday(10, 6)));
  EXPECT_EQ(Show(weekend.due_at), Show(Monday(10, 30)));

  json doc = BaseDoc();
  doc["warn_fraction"] = 0.5;
  EXPECT_EQ(Show(PolicyOf(doc).Schedule(Monday(9, 0), absl::Hours(4)).warn_at),
            Show(Monday(11, 0)));
}

TEST(SlaPolicyTest, APauseGrantsTheTimeThatWasLeftAgainFromTheResume) {
  const SlaPolicy policy = PolicyOf(BaseDoc());
  // Friday 14:00 + 4h: warn 3h12m -> 17:12, due -> 18:00.
  const Deadline deadline = policy.Schedule(Friday(14, 0), absl::Hours(4));
  ASSERT_EQ(Show(deadline.warn_at), Show(Friday(17, 12)));
  ASSERT_EQ(Show(deadline.due_at), Show(Friday(18, 0)));

  // Waiting on the customer from Friday 15:00 to Monday 10:00: 2h12m and 3h were left.
  const Deadline resumed = policy.Resume(deadline, Friday(15, 0), Monday(10, 0));
  EXPECT_EQ(Show(resumed.warn_at), Show(Monday(13, 12)));
  EXPECT_EQ(Show(resumed.due_at), Show(Monday(14, 0)));

  // Paused after the warning fired: the warning stays, the due date moves (30m left).
  const Deadline late = policy.Resume(deadline, Friday(17, 30), Monday(10, 0));
  EXPECT_EQ(Show(late.warn_at), Show(Friday(17, 12)));
  EXPECT_EQ(Show(late.due_at), Show(Monday(10, 30)));

  // Paused after the breach: nothing moves.
  const Deadline breached = policy.Resume(deadline, Saturday(9, 0), Monday(10, 0));
  EXPECT_EQ(breached.warn_at, deadline.warn_at);
  EXPECT_EQ(breached.due_at, deadline.due_at);
}

TEST(SlaPolicyTest, ANewBudgetKeepsTheBusinessTimeAlreadyUsed) {
  const SlaPolicy policy = PolicyOf(BaseDoc());
  // 5h from Monday 09:00: warn 14:00, due 15:00. At 11:00, 2h are used.
  const Deadline deadline = policy.Schedule(Monday(9, 0), absl::Hours(5));

  // Promoted to a 3h budget: 1h left -> 12:00; warn after 2h24m, 24m left -> 11:24.
  const Deadline shorter = policy.Rebudget(deadline, absl::Hours(5), absl::Hours(3), Monday(11, 0));
  EXPECT_EQ(Show(shorter.warn_at), Show(Monday(11, 24)));
  EXPECT_EQ(Show(shorter.due_at), Show(Monday(12, 0)));

  // Demoted to 8h: 6h left -> 11-12 and 13-18; warn after 6h24m, 4h24m left -> 16:24.
  const Deadline longer = policy.Rebudget(deadline, absl::Hours(5), absl::Hours(8), Monday(11, 0));
  EXPECT_EQ(Show(longer.warn_at), Show(Monday(16, 24)));
  EXPECT_EQ(Show(longer.due_at), Show(Monday(18, 0)));

  // Already 5h30m used at 15:30 (30m past due): a 3h budget is due at once.
  const Deadline spent = policy.Rebudget(deadline, absl::Hours(5), absl::Hours(3), Monday(15, 30));
  EXPECT_EQ(Show(spent.warn_at), Show(Monday(15, 30)));
  EXPECT_EQ(Show(spent.due_at), Show(Monday(15, 30)));
}

TEST(SlaPolicyTest, APauseOutsideWorkingHoursChangesNothing) {
  const SlaPolicy policy = PolicyOf(BaseDoc());
  const Deadline deadline = policy.Schedule(Friday(17, 30), absl::Hours(2));
  const Deadline resumed = policy.Resume(deadline, Saturday(9, 0), Local(2026, 11, 22, 20, 0));
  EXPECT_EQ(Show(resumed.warn_at), Show(deadline.warn_at));
  EXPECT_EQ(Show(resumed.due_at), Show(deadline.due_at));
  // A resume that is not after the pause is ignored.
  const Deadline backwards = policy.Resume(deadline, Monday(10, 0), Monday(9, 30));
  EXPECT_EQ(backwards.due_at, deadline.due_at);
}

TEST(SlaPolicyTest, SecondEscalationFollowsTheBreachByTheDelayInBusinessTime) {
  const SlaPolicy policy = PolicyOf(BaseDoc());
  EXPECT_EQ(policy.escalation_delay(), absl::Hours(4));
  // Breach Friday 17:00: 1h on Friday, 3h on Monday.
  EXPECT_EQ(Show(policy.SecondEscalationAt(Friday(17, 0))), Show(Monday(12, 0)));
}

TEST(SlaPolicyTest, TargetsAreLookedUpByTierAndSeverity) {
  json doc = BaseDoc();
  doc["targets"][0] = {
      {"tier", "A"}, {"severity", "critical"}, {"judge", "15m"}, {"resolve", "3h"}};
  // BaseDoc lists A/low first; replacing it with A/critical would leave A/low missing.
  doc["targets"][3] = {{"tier", "A"}, {"severity", "low"}, {"judge", "1h"}, {"resolve", "2h"}};
  const SlaPolicy policy = PolicyOf(doc);
  EXPECT_EQ(policy.Target(1, Severity::kCritical).judge, absl::Minutes(15));
  EXPECT_EQ(policy.Target(1, Severity::kCritical).resolve, absl::Hours(3));
  EXPECT_EQ(policy.Target(2, Severity::kCritical).judge, absl::Hours(1));
  EXPECT_EQ(policy.Target(1, Severity::kLow).resolve, absl::Hours(2));
}

TEST(SlaPolicyTest, TheShippedPolicyParsesAndCoversEveryPair) {
  absl::StatusOr<SlaPolicy> loaded = LoadSlaPolicy("");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const SlaPolicy& policy = *loaded;
  EXPECT_EQ(policy.calendar().time_zone().name(), kShanghai);
  EXPECT_DOUBLE_EQ(policy.warn_fraction(), 0.8);
  const std::vector<Severity> severities = {Severity::kLow, Severity::kMedium, Severity::kHigh,
                                            Severity::kCritical};
  for (int tier = 0; tier <= kMaxTier; ++tier) {
    for (size_t i = 0; i < severities.size(); ++i) {
      const SlaTarget& target = policy.Target(tier, severities[i]);
      EXPECT_GT(target.judge, absl::ZeroDuration()) << TierName(tier);
      EXPECT_LE(target.judge, target.resolve) << TierName(tier);
      // More severe is never slower; a better tier is never slower.
      if (i > 0) {
        EXPECT_LE(target.resolve, policy.Target(tier, severities[i - 1]).resolve);
      }
      if (tier > 1) {
        EXPECT_GE(target.resolve, policy.Target(tier - 1, severities[i]).resolve);
      }
    }
  }
  EXPECT_LT(policy.Target(1, Severity::kCritical).resolve,
            policy.Target(4, Severity::kCritical).resolve);
  EXPECT_LT(policy.Target(1, Severity::kCritical).resolve,
            policy.Target(1, Severity::kLow).resolve);
  // An unknown tier gets the untiered target.
  EXPECT_EQ(&policy.Target(9, Severity::kHigh), &policy.Target(0, Severity::kHigh));

  // The shipped file is what is embedded (a stale build would test an old policy).
  std::ifstream file(std::string(KAM_SOURCE_DIR) + "/services/complaints/sla_policy.json");
  std::stringstream text;
  text << file.rdbuf();
  EXPECT_EQ(text.str(), std::string(DefaultSlaPolicyJson()));
}

TEST(SlaPolicyTest, TheShippedCalendarKnowsNationalDayAndItsWorkingSaturday) {
  const SlaPolicy policy = LoadSlaPolicy("").value();
  const BusinessCalendar& calendar = policy.calendar();
  for (int day = 1; day <= 7; ++day) {
    EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2026, 10, day))) << day;
  }
  EXPECT_TRUE(calendar.IsWorkingDay(absl::CivilDay(2026, 10, 10)));   // Saturday, 调休
  EXPECT_TRUE(calendar.IsWorkingDay(absl::CivilDay(2026, 9, 20)));    // Sunday, 调休
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2026, 10, 11)));  // an ordinary Sunday
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2027, 2, 8)));    // 春节 2027
  // Wednesday 30 September 17:00 + one working day: 1h before the holiday, 7h on 8 October.
  EXPECT_EQ(Show(calendar.Add(Local(2026, 9, 30, 17, 0), absl::Hours(8))),
            Show(Local(2026, 10, 8, 17, 0)));
}

struct BadPolicy {
  std::string name;
  std::function<void(json&)> change;
  std::string error;  // the message's start: the path, often the problem too
};

TEST(SlaPolicyTest, EveryParseErrorNamesItsPath) {
  const std::vector<BadPolicy> cases = {
      {"zone", [](json& d) { d["calendar"]["time_zone"] = "Mars/Olympus"; },
       "calendar.time_zone: unknown time zone \"Mars/Olympus\""},
      {"localtime", [](json& d) { d["calendar"]["time_zone"] = "localtime"; },
       "calendar.time_zone: unknown time zone"},
      {"overlap",
       [](json& d) {
         d["calendar"]["working_hours"] = Periods({{"13:00", "18:00"}, {"09:00", "13:30"}});
       },
       "calendar.working_hours[1]: overlaps calendar.working_hours[0]"},
      {"inverted",
       [](json& d) {
         d["calendar"]["working_hours"] = Periods({{"18:00", "09:00"}});
       },
       "calendar.working_hours[0]: must end after it begins"},
      {"empty period",
       [](json& d) {
         d["calendar"]["working_hours"] = Periods({{"09:00", "09:00"}});
       },
       "calendar.working_hours[0]: must end after it begins"},
      {"clock", [](json& d) { d["calendar"]["working_hours"][1][1] = "18:60"; },
       "calendar.working_hours[1][1]: must be a local time"},
      {"short clock", [](json& d) { d["calendar"]["working_hours"][0][0] = "9:00"; },
       "calendar.working_hours[0][0]: must be a local time"},
      {"triple",
       [](json& d) {
         d["calendar"]["working_hours"][0] = {"09:00", "10:00", "11:00"};
       },
       "calendar.working_hours[0]: must be a pair"},
      {"no hours", [](json& d) { d["calendar"]["working_hours"] = json::array(); },
       "calendar.working_hours: must hold at least one period"},
      {"no days", [](json& d) { d["calendar"]["working_days"] = json::array(); },
       "calendar.working_days: must name at least one day"},
      {"day name", [](json& d) { d["calendar"]["working_days"][2] = "Wednesday"; },
       "calendar.working_days[2]: must be one of"},
      {"day twice", [](json& d) { d["calendar"]["working_days"][4] = "mon"; },
       "calendar.working_days[4]: \"mon\" given twice"},
      {"date",
       [](json& d) {
         d["calendar"]["holidays"] = {"2026-10-01", "2026-02-30"};
       },
       "calendar.holidays[1]: must be a date"},
      {"date shape", [](json& d) { d["calendar"]["holidays"] = {"2026/10/01"}; },
       "calendar.holidays[0]: must be a date"},
      {"date twice",
       [](json& d) {
         d["calendar"]["holidays"] = {"2026-10-01", "2026-10-01"};
       },
       "calendar.holidays[1]: 2026-10-01 given twice"},
      {"holidays type", [](json& d) { d["calendar"]["holidays"] = "2026-10-01"; },
       "calendar.holidays: must be an array"},
      {"extra weekday", [](json& d) { d["calendar"]["extra_working_days"] = {"2026-11-23"}; },
       "calendar.extra_working_days[0]: 2026-11-23 is a working day already (mon)"},
      {"extra holiday",
       [](json& d) {
         d["calendar"]["holidays"] = {"2026-11-21"};
         d["calendar"]["extra_working_days"] = {"2026-11-21"};
       },
       "calendar.extra_working_days[0]: 2026-11-21 is also a holiday"},
      {"calendar key", [](json& d) { d["calendar"]["timezone"] = "UTC"; },
       "calendar.timezone: unknown key"},
      {"no zone", [](json& d) { d["calendar"].erase("time_zone"); },
       "calendar.time_zone: required"},
      {"no calendar", [](json& d) { d.erase("calendar"); }, "calendar: required"},
      {"root key", [](json& d) { d["targetz"] = json::array(); }, "targetz: unknown key"},
      {"comment", [](json& d) { d["comment"] = 42; }, "comment: must be a string"},
      {"warn", [](json& d) { d["warn_fraction"] = 1.5; }, "warn_fraction: must be a number"},
      {"warn zero", [](json& d) { d["warn_fraction"] = 0; }, "warn_fraction: must be a number"},
      {"no delay", [](json& d) { d.erase("escalation_delay"); }, "escalation_delay: required"},
      {"delay", [](json& d) { d["escalation_delay"] = "-1h"; },
       "escalation_delay: must be positive"},
      {"resolve zero", [](json& d) { d["targets"][3]["resolve"] = "0s"; },
       "targets[3].resolve: must be positive"},
      {"resolve text", [](json& d) { d["targets"][3]["resolve"] = "soon"; },
       "targets[3].resolve: must be a duration"},
      {"resolve number", [](json& d) { d["targets"][3]["resolve"] = 8; },
       "targets[3].resolve: must be a duration"},
      {"infinite", [](json& d) { d["targets"][3]["resolve"] = "inf"; },
       "targets[3].resolve: must be positive"},
      {"judge after resolve", [](json& d) { d["targets"][5]["judge"] = "3h"; },
       "targets[5].judge: must not exceed resolve"},
      {"tier", [](json& d) { d["targets"][7]["tier"] = "E"; }, "targets[7].tier: must be one of"},
      {"severity", [](json& d) { d["targets"][7]["severity"] = "urgent"; },
       "targets[7].severity: must be one of"},
      {"target key", [](json& d) { d["targets"][2]["colour"] = "red"; },
       "targets[2].colour: unknown key"},
      {"target field", [](json& d) { d["targets"][2].erase("judge"); },
       "targets[2].judge: required"},
      {"missing pair", [](json& d) { d["targets"].erase(19); },
       "targets: no target for tier untiered, severity critical"},
      {"pair twice", [](json& d) { d["targets"].push_back(d["targets"][1]); },
       "targets[20]: tier A, severity medium given twice (also targets[1])"},
      {"targets type", [](json& d) { d["targets"] = json::object(); }, "targets: must be an array"},
      {"root type", [](json& d) { d = json::array(); }, "sla_policy: must be an object"},
  };
  for (const BadPolicy& bad : cases) {
    json doc = BaseDoc();
    bad.change(doc);
    EXPECT_THAT(ErrorOf(doc), StartsWith(bad.error)) << bad.name;
  }
}

TEST(SlaPolicyTest, MalformedJsonAndRepeatedKeysAreRejected) {
  EXPECT_THAT(std::string(ParseSlaPolicy("{\"calendar\": ").status().message()),
              StartsWith("sla_policy: not valid JSON"));
  // Found by fuzz_config: a number out of double's range threw out_of_range past the parser.
  EXPECT_THAT(std::string(ParseSlaPolicy("{\"escalation_delay\": 1e999}").status().message()),
              StartsWith("sla_policy: not valid JSON"));
  std::string text = BaseDoc().dump();
  text.insert(1, "\"escalation_delay\": \"1h\", ");
  const absl::Status repeated = ParseSlaPolicy(text).status();
  EXPECT_EQ(repeated.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(repeated.message()),
              StartsWith("sla_policy: key \"escalation_delay\" given twice"));
}

TEST(SlaPolicyTest, LoadNamesTheFileInItsErrors) {
  const absl::Status missing = LoadSlaPolicy("/nonexistent/sla.json").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(missing.message()), HasSubstr("/nonexistent/sla.json: cannot be read"));

  const std::string path = ::testing::TempDir() + "sla_policy_test.json";
  json doc = BaseDoc();
  doc["targets"][0]["judge"] = "1 hour";
  std::ofstream(path) << doc.dump();
  EXPECT_THAT(std::string(LoadSlaPolicy(path).status().message()),
              StartsWith("sla policy file " + path + ": targets[0].judge: must be a duration"));
  std::ofstream(path) << BaseDoc().dump();
  EXPECT_TRUE(LoadSlaPolicy(path).ok());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace kam::complaints
