// Analysis periods and month keys (services/analytics/period.h): what a caller may write,
// how the previous period and the months of one are found, and where a month starts in the
// company's zone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/analytics/period.h"

namespace kam::analytics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

Period Parse(const std::string& text) {
  absl::StatusOr<Period> period = ParsePeriod("period", text);
  EXPECT_TRUE(period.ok()) << text << ": " << period.status();
  return period.value_or(Period{});
}

TEST(ParsePeriodTest, AYearIsJanuaryToDecember) {
  const Period year = Parse("2026");
  EXPECT_EQ(year.kind, PeriodKind::kYear);
  EXPECT_EQ(year.first_month, 202601);
  EXPECT_EQ(year.last_month, 202612);
  EXPECT_EQ(year.label, "2026");
  EXPECT_EQ(year.year(), 2026);
}

TEST(ParsePeriodTest, AQuarterIsThreeMonthsAndItsLabelIsNormalised) {
  const Period q3 = Parse("2026-q3");
  EXPECT_EQ(q3.kind, PeriodKind::kQuarter);
  EXPECT_EQ(q3.first_month, 202607);
  EXPECT_EQ(q3.last_month, 202609);
  EXPECT_EQ(q3.label, "2026-Q3");
  EXPECT_EQ(Parse("2026-Q1").first_month, 202601);
  EXPECT_EQ(Parse("2026-Q4").last_month, 202612);
}

TEST(ParsePeriodTest, AMonthIsItself) {
  const Period july = Parse("2026-07");
  EXPECT_EQ(july.kind, PeriodKind::kMonth);
  EXPECT_EQ(july.first_month, 202607);
  EXPECT_EQ(july.last_month, 202607);
  EXPECT_EQ(july.label, "2026-07");
}

TEST(ParsePeriodTest, YearsTwoThousandToTwentyOneHundredOnly) {
  EXPECT_EQ(Parse("2000-01").first_month, 200001);
  EXPECT_EQ(Parse("2100").last_month, 210012);
  EXPECT_FALSE(ParsePeriod("period", "1999").ok());
  EXPECT_FALSE(ParsePeriod("period", "2101-01").ok());
}

TEST(ParsePeriodTest, AnythingElseIsInvalidAndNamesTheField) {
  for (const char* text :
       {"",        "26",      "202",    "2026-",    "2026-13", "2026-00",    "2026-7",
        "2026-Q0", "2026-Q5", "2026-Q", "2026-Q12", "2026/07", "2026-07-01", "20260",
        "abcd",    " 2026",   "2026 ",  "+202-01",  "2026-+7", "2026-H1"}) {
    absl::StatusOr<Period> period = ParsePeriod("request.period", text);
    ASSERT_FALSE(period.ok()) << '"' << text << '"';
    EXPECT_EQ(period.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(period.status().message()), StartsWith("request.period: "));
  }
}

TEST(ParseMonthTest, OnlyAMonthIsAMonth) {
  absl::StatusOr<int> july = ParseMonth("snapshots[0].month", "2026-07");
  ASSERT_TRUE(july.ok()) << july.status();
  EXPECT_EQ(*july, 202607);
  for (const char* text : {"2026", "2026-Q3", "2026-13", "july"}) {
    absl::StatusOr<int> month = ParseMonth("snapshots[0].month", text);
    ASSERT_FALSE(month.ok()) << text;
    EXPECT_EQ(month.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(month.status().message()), HasSubstr("snapshots[0].month"));
  }
}

TEST(PeriodTest, PreviousIsTheSameKindJustBeforeAcrossYears) {
  const Period q4 = Parse("2026-Q1").Previous();
  EXPECT_EQ(q4.kind, PeriodKind::kQuarter);
  EXPECT_EQ(q4.first_month, 202510);
  EXPECT_EQ(q4.last_month, 202512);
  EXPECT_EQ(q4.label, "2025-Q4");

  const Period december = Parse("2026-01").Previous();
  EXPECT_EQ(december.first_month, 202512);
  EXPECT_EQ(december.last_month, 202512);
  EXPECT_EQ(december.label, "2025-12");

  const Period year = Parse("2026").Previous();
  EXPECT_EQ(year.first_month, 202501);
  EXPECT_EQ(year.last_month, 202512);
  EXPECT_EQ(year.label, "2025");

  const Period q2 = Parse("2026-Q3").Previous();
  EXPECT_EQ(q2.label, "2026-Q2");
  EXPECT_EQ(q2.first_month, 202604);
}

TEST(PeriodTest, MonthsListsEveryMonthInOrder) {
  EXPECT_THAT(Parse("2026-Q4").Months(), ElementsAre(202610, 202611, 202612));
  EXPECT_THAT(Parse("2026-02").Months(), ElementsAre(202602));
  const Period year = Parse("2025");
  ASSERT_EQ(year.MonthCount(), 12);
  EXPECT_EQ(year.Months().front(), 202501);
  EXPECT_EQ(year.Months().back(), 202512);
}

// Shanghai is UTC+8 all year: its July starts at 2026-06-30 16:00 UTC.
TEST(MonthKeyTest, AMonthStartsAtMidnightInTheCompanyZone) {
  const absl::TimeZone shanghai = Zone("Asia/Shanghai");
  const absl::Time july_starts =
      absl::FromCivil(absl::CivilSecond(2026, 6, 30, 16, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(MonthKey(july_starts, shanghai), 202607);
  EXPECT_EQ(MonthKey(july_starts - absl::Microseconds(1), shanghai), 202606);
  EXPECT_EQ(MonthKey(july_starts, absl::UTCTimeZone()), 202606);

  const Period july = Parse("2026-07");
  EXPECT_EQ(july.Start(shanghai), july_starts);
  EXPECT_EQ(july.End(shanghai),
            absl::FromCivil(absl::CivilSecond(2026, 7, 31, 16, 0, 0), absl::UTCTimeZone()));
  // A year ends where the next one starts, in the zone.
  EXPECT_EQ(Parse("2026").End(shanghai), Parse("2027").Start(shanghai));
}

TEST(MonthKeyTest, LabelsAreYearDashMonth) {
  EXPECT_EQ(MonthLabel(202607), "2026-07");
  EXPECT_EQ(MonthLabel(202612), "2026-12");
}

TEST(MonthArithmeticTest, AddMonthsCrossesYearsBothWays) {
  EXPECT_EQ(AddMonths(202612, 1), 202701);
  EXPECT_EQ(AddMonths(202601, -1), 202512);
  EXPECT_EQ(AddMonths(202603, -15), 202412);
  EXPECT_EQ(AddMonths(202601, -12), 202501);
  EXPECT_EQ(AddMonths(202607, 0), 202607);
  EXPECT_EQ(AddMonths(202611, 26), 202901);
}

TEST(MonthArithmeticTest, MonthsBetweenIsNegativeWhenTheEndIsEarlier) {
  EXPECT_EQ(MonthsBetween(202512, 202603), 3);
  EXPECT_EQ(MonthsBetween(202603, 202512), -3);
  EXPECT_EQ(MonthsBetween(202607, 202607), 0);
  EXPECT_EQ(MonthsBetween(202401, 202612), 35);
  EXPECT_EQ(AddMonths(202603, MonthsBetween(202603, 202412)), 202412);
}

}  // namespace
}  // namespace kam::analytics
