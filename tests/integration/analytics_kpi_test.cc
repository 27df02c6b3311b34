// The KPI analyses (services/analytics/kpi_analysis.h) against a private MariaDB with the
// analytics migrations: fact rows seeded with SQL as the projection would have written them,
// each figure checked against a hand calculation, filters and archived accounts respected.
//
// The company zone is Asia/Shanghai (UTC+8); times below are written in it. The period is
// 2026-Q3 (July-September), the previous one 2026-Q2.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "embedded_migrations.h"
#include "services/analytics/kpi_analysis.h"
#include "services/common/proto_support.h"
#include "tests/support/schema_test.h"
#include "tests/support/test_helpers.h"

namespace kam::analytics {
namespace {

using test_support::Ok;
using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr double kEps = 1e-9;

absl::TimeZone Shanghai() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &zone));
  return zone;
}

// A Shanghai wall-clock time ("2026-07-02 08:00") as the UTC instant the facts store.
absl::Time Local(const std::string& text) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime("%Y-%m-%d %H:%M", text, Shanghai(), &t, &error)) << error;
  return t;
}
std::string Sql(const std::string& local) {
  return absl::StrCat("'", ToSqlTime(Local(local)), "'");
}
std::string SqlOrNull(const std::string& local) { return local.empty() ? "NULL" : Sql(local); }

// Accounts (tier 1 A, 2 B, 3 C, 4 D):
//   1 Alpha   A mgr-li   East  Steel          6 Zeta   B mgr-wang East ARCHIVED
//   2 Beta    B mgr-li   East  Chemicals      7 Eta    D mgr-zhou North Steel, child of 3
//   3 Gamma   C mgr-wang West  Steel          8 Theta  C mgr-li   East  Chemicals
//   4 Delta   A mgr-wang West  Steel          9 Iota   A mgr-wang West  Steel
//   5 Epsilon A mgr-li   East  Steel, created 2026-01-10, never ordered
//  10 Kappa   A mgr-wang West  Chemicals
const char kAccounts[] =
    "INSERT INTO accounts (account_id, name, nature, industry, region, scale, lifecycle_stage,"
    " status, tier, owner_id, parent_id, credit_rating, archived, create_time, source_sequence)"
    " VALUES"
    " (1, 'Alpha', 1, 'Steel', 'East', 1, 1, 1, 1, 'mgr-li', 0, 0, 0, '2024-01-01', 1),"
    " (2, 'Beta', 1, 'Chemicals', 'East', 1, 1, 1, 2, 'mgr-li', 0, 0, 0, '2024-01-01', 1),"
    " (3, 'Gamma', 1, 'Steel', 'West', 1, 1, 1, 3, 'mgr-wang', 0, 0, 0, '2024-01-01', 1),"
    " (4, 'Delta', 1, 'Steel', 'West', 1, 1, 1, 1, 'mgr-wang', 0, 0, 0, '2024-01-01', 1),"
    " (5, 'Epsilon', 1, 'Steel', 'East', 1, 1, 1, 1, 'mgr-li', 0, 0, 0, '2026-01-10 02:00', 1),"
    " (6, 'Zeta', 1, 'Steel', 'East', 1, 1, 1, 2, 'mgr-wang', 0, 0, 1, '2024-01-01', 1),"
    " (7, 'Eta', 1, 'Steel', 'North', 1, 1, 1, 4, 'mgr-zhou', 3, 0, 0, '2024-01-01', 1),"
    " (8, 'Theta', 1, 'Chemicals', 'East', 1, 1, 1, 3, 'mgr-li', 0, 0, 0, '2024-01-01', 1),"
    " (9, 'Iota', 1, 'Steel', 'West', 1, 1, 1, 1, 'mgr-wang', 0, 0, 0, '2024-01-01', 1),"
    " (10, 'Kappa', 1, 'Chemicals', 'West', 1, 1, 1, 1, 'mgr-wang', 0, 0, 0, '2024-01-01', 1);"
    "INSERT INTO account_groups (group_id, account_id, depth) VALUES"
    " (1, 1, 0), (2, 2, 0), (3, 3, 0), (4, 4, 0), (5, 5, 0), (6, 6, 0), (7, 7, 0), (3, 7, 1),"
    " (8, 8, 0), (9, 9, 0), (10, 10, 0);";

// (account, month, revenue, orders, paid). Account 2 only paid in Q3; account 6 is archived;
// account 1 has rows outside both periods.
const char kAccountMonths[] =
    "INSERT INTO account_month (account_id, month, revenue_minor, orders, paid_minor) VALUES"
    " (1, 202603, 888, 8, 0), (1, 202605, 100000, 2, 0), (2, 202606, 50000, 1, 0),"
    " (3, 202604, 20000, 1, 0), (4, 202604, 90000, 3, 0), (6, 202605, 999999, 5, 0),"
    " (10, 202606, 3000, 1, 0),"
    " (1, 202607, 120001, 3, 100000), (1, 202609, 30000, 1, 60000), (2, 202607, 0, 0, 50000),"
    " (3, 202608, 40000, 2, 10000), (6, 202607, 500000, 4, 500000), (7, 202608, 10000, 1, 0),"
    " (8, 202607, 5000, 1, 5000), (9, 202607, 7000, 1, 7000), (1, 202610, 999, 9, 999);";

// (account, wallet estimate, year): 4 has none (0), 2's is for 2025, 6 is archived.
const char kTargets[] =
    "INSERT INTO account_targets (account_id, year, expected_share_bp, wallet_estimate_minor,"
    " industry_influence, updated_at) VALUES"
    " (1, 2026, 0, 1200000, 0, NOW()), (3, 2026, 0, 480000, 0, NOW()),"
    " (4, 2026, 0, 0, 0, NOW()), (5, 2026, 0, 240000, 0, NOW()), (2, 2025, 0, 999, 0, NOW()),"
    " (6, 2026, 0, 1000000, 0, NOW());";

std::string ActivityRows() {
  struct Activity {
    int account;
    std::string first;
    int first_month;
    std::string last;
  };
  const std::vector<Activity> rows = {
      {1, "2025-03-10 10:00", 202503, "2026-09-20 10:00"},
      {2, "2026-06-05 10:00", 202606, "2026-06-05 10:00"},
      {3, "2024-11-02 10:00", 202411, "2026-08-12 10:00"},
      {4, "2025-02-02 10:00", 202502, "2026-04-15 10:00"},
      {6, "2026-07-02 10:00", 202607, "2026-07-02 10:00"},
      {7, "2026-08-03 10:00", 202608, "2026-08-03 10:00"},
      {8, "2026-07-21 10:00", 202607, "2026-07-21 10:00"},
      // Half past midnight on 1 July in Shanghai: still 30 June in UTC.
      {9, "2026-07-01 00:30", 202607, "2026-07-01 00:30"},
      // One minute before midnight on 30 June in Shanghai.
      {10, "2026-06-01 10:00", 202606, "2026-06-30 23:59"},
  };
  std::vector<std::string> values;
  for (const Activity& a : rows) {
    values.push_back(absl::StrCat("(", a.account, ", ", Sql(a.first), ", ", a.first_month, ", ",
                                  Sql(a.last), ")"));
  }
  return absl::StrCat(
      "INSERT INTO account_activity (account_id, first_order_time, first_order_month,"
      " last_order_time) VALUES ",
      absl::StrJoin(values, ", "), ";");
}

struct Opportunity {
  int id;
  int account;
  std::string owner;
  int stage;
  int furthest;
  int64_t amount;
  int probability;
  std::string expected_close;
  std::string created;
  int create_month;
  std::string closed;  // empty: open
  int close_month;
};

// Stages 1-6 open, 7 WON, 8 LOST.
std::string OpportunityRows() {
  const std::vector<Opportunity> rows = {
      {1, 1, "mgr-li", 3, 3, 100000, 30, "2026-09-15 12:00", "2026-07-02 00:00", 202607, "", 0},
      {2, 1, "mgr-li", 7, 6, 200000, 100, "2026-09-01 12:00", "2026-07-05 00:00", 202607,
       "2026-09-04 00:00", 202609},
      {3, 2, "mgr-li", 8, 2, 50000, 0, "2026-09-01 12:00", "2026-07-10 00:00", 202607,
       "2026-08-01 00:00", 202608},
      // Reached BIDDING, moved back to PROJECT_INITIATION.
      {4, 3, "mgr-wang", 2, 4, 80010, 15, "2026-08-20 12:00", "2026-08-01 00:00", 202608, "", 0},
      // Expected to close after the period.
      {5, 4, "mgr-wang", 6, 6, 300000, 90, "2026-10-15 12:00", "2026-05-01 00:00", 202605, "", 0},
      {6, 4, "mgr-wang", 7, 6, 150000, 100, "2026-08-01 12:00", "2026-04-01 00:00", 202604,
       "2026-08-10 00:00", 202608},
      {7, 6, "mgr-wang", 5, 5, 999999, 60, "2026-09-01 12:00", "2026-07-01 12:00", 202607, "", 0},
      // Expected one minute before the period ends (in), and at its end (out).
      {8, 9, "mgr-wang", 1, 1, 10000, 10, "2026-09-30 23:59", "2026-09-01 00:00", 202609, "", 0},
      {9, 10, "mgr-wang", 4, 4, 20000, 50, "2026-10-01 00:00", "2026-03-01 00:00", 202603, "", 0},
      {10, 2, "mgr-li", 7, 6, 70000, 100, "2026-06-01 12:00", "2026-01-05 00:00", 202601,
       "2026-06-20 00:00", 202606},
      {11, 3, "mgr-wang", 6, 6, 40000, 90, "2026-09-01 12:00", "2026-07-20 00:00", 202607, "", 0},
  };
  std::vector<std::string> values;
  for (const Opportunity& o : rows) {
    values.push_back(absl::StrCat(
        "(", o.id, ", ", o.account, ", '", o.owner, "', ", o.stage, ", ", o.furthest, ", ",
        o.amount, ", ", o.probability, ", ", Sql(o.expected_close), ", ", Sql(o.created), ", ",
        o.create_month, ", ", SqlOrNull(o.closed), ", ",
        o.closed.empty() ? "NULL" : absl::StrCat(o.close_month), ", ", Sql(o.created), ", 1)"));
  }
  return absl::StrCat(
      "INSERT INTO opportunity_facts (opportunity_id, account_id, owner_id, stage, furthest_stage,"
      " amount_minor, probability_percent, expected_close_time, create_time, create_month,"
      " close_time, close_month, stage_entered_time, source_sequence) VALUES ",
      absl::StrJoin(values, ", "), ";");
}

// (opportunity, stage, entered, left, left month); durations in days in the comments.
std::string StayRows() {
  struct Stay {
    int opportunity;
    int stage;
    std::string entered;
    std::string left;
    int left_month;
  };
  const std::vector<Stay> rows = {
      {1, 1, "2026-07-02 00:00", "2026-07-05 00:00", 202607},  // 3
      {1, 2, "2026-07-05 00:00", "2026-07-15 00:00", 202607},  // 10
      {1, 3, "2026-07-15 00:00", "", 0},                       // still there
      {2, 1, "2026-07-05 00:00", "2026-07-06 00:00", 202607},  // 1
      {2, 2, "2026-07-06 00:00", "2026-07-08 12:00", 202607},  // 2.5
      {2, 3, "2026-07-08 12:00", "2026-07-20 12:00", 202607},  // 12
      {2, 4, "2026-07-20 12:00", "2026-08-01 12:00", 202608},  // 12
      {2, 5, "2026-08-01 12:00", "2026-08-11 12:00", 202608},  // 10
      {2, 6, "2026-08-11 12:00", "2026-09-04 00:00", 202609},  // 23.5
      {4, 1, "2026-08-01 00:00", "2026-08-03 00:00", 202608},  // 2
      {4, 2, "2026-08-03 00:00", "2026-08-05 00:00", 202608},  // 2
      {4, 3, "2026-08-05 00:00", "2026-08-10 00:00", 202608},  // 5
      {4, 4, "2026-08-10 00:00", "2026-08-12 00:00", 202608},  // 2
      {4, 2, "2026-08-12 00:00", "", 0},                       // moved back, still there
      {5, 5, "2026-05-20 00:00", "2026-06-25 00:00", 202606},  // left in Q2
      {6, 6, "2026-06-20 00:00", "2026-08-10 00:00", 202608},  // 51
      {7, 4, "2026-04-01 00:00", "2026-07-10 00:00", 202607},  // archived account
  };
  std::vector<std::string> values;
  for (const Stay& s : rows) {
    values.push_back(absl::StrCat("(", s.opportunity, ", ", s.stage, ", ", Sql(s.entered), ", ",
                                  SqlOrNull(s.left), ", ",
                                  s.left.empty() ? "NULL" : absl::StrCat(s.left_month), ")"));
  }
  return absl::StrCat(
      "INSERT INTO opportunity_stage_stays (opportunity_id, stage, entered_time, left_time,"
      " left_month) VALUES ",
      absl::StrJoin(values, ", "), ";");
}

struct Complaint {
  int id;
  int account;
  int category;  // 1 quality, 2 contract, 3 transport, 4 service, 5 other
  int state;     // 1 recorded, 2 invalid, 3 assigned, 5 proposed, 7 implemented, 8 followed
                 // up, 9 closed
  int tier;      // at intake; 0 none
  std::string created;
  int create_month;
  std::string valid;  // "NULL", "1", "0"
  std::string implemented;
  bool judgment_breached;
  bool resolution_breached;
  std::string followed_up;
  std::string gap;
};

std::string ComplaintRows() {
  const std::vector<Complaint> rows = {
      {1, 1, 1, 9, 1, "2026-07-01 08:00", 202607, "1", "2026-07-02 08:00", false, false,
       "2026-07-03 10:00", "2"},  // 24 h
      {2, 1, 1, 7, 1, "2026-07-10 00:00", 202607, "1", "2026-07-10 10:00", false, true, "",
       "NULL"},  // 10 h
      {3, 1, 4, 2, 1, "2026-08-01 00:00", 202608, "0", "", true, false, "", "NULL"},
      {4, 3, 1, 3, 3, "2026-08-05 00:00", 202608, "1", "", false, false, "", "NULL"},
      {5, 3, 2, 1, 3, "2026-09-01 00:00", 202609, "NULL", "", false, false, "", "NULL"},
      {6, 7, 3, 8, 0, "2026-07-15 00:00", 202607, "1", "2026-07-20 00:00", false, true,
       "2026-07-25 00:00", "1"},  // 120 h
      // Created in Q2, implemented at 00:30 on 1 July in Shanghai (30 June in UTC).
      {7, 2, 1, 9, 2, "2026-06-10 00:30", 202606, "1", "2026-07-01 00:30", false, false,
       "2026-07-05 00:00", "4"},  // 504 h
      // Implemented one minute before Q3.
      {8, 2, 5, 7, 2, "2026-06-01 00:00", 202606, "1", "2026-06-30 23:59", false, false, "",
       "NULL"},
      {9, 6, 1, 1, 2, "2026-07-05 00:00", 202607, "NULL", "", true, false, "", "NULL"},
      {10, 8, 1, 3, 3, "2026-10-01 00:00", 202610, "1", "", false, false, "", "NULL"},
      {11, 1, 1, 3, 1, "2026-09-10 00:00", 202609, "1", "", false, false, "", "NULL"},
  };
  std::vector<std::string> values;
  for (const Complaint& c : rows) {
    values.push_back(absl::StrCat("(", c.id, ", ", c.account, ", ", c.category, ", 2, ", c.state,
                                  ", ", c.tier, ", ", Sql(c.created), ", ", c.create_month, ", ",
                                  c.valid, ", ", SqlOrNull(c.implemented), ", NULL, ",
                                  c.judgment_breached, ", ", c.resolution_breached, ", ",
                                  SqlOrNull(c.followed_up), ", ", c.gap, ", 1)"));
  }
  return absl::StrCat(
      "INSERT INTO complaint_facts (complaint_id, account_id, category, severity, state,"
      " account_tier, create_time, create_month, valid, implemented_time, close_time,"
      " judgment_breached, resolution_breached, follow_up_time, satisfaction_gap,"
      " source_sequence) VALUES ",
      absl::StrJoin(values, ", "), ";");
}

// (plan, account, owner, planned month, status 1 planned / 2 completed / 3 cancelled).
// Plan 7 is mgr-zhou's visit to mgr-wang's account 4.
const char kVisits[] =
    "INSERT INTO visit_facts (visit_plan_id, account_id, owner_id, planned_month, status,"
    " source_sequence) VALUES"
    " (1, 1, 'mgr-li', 202607, 2, 1), (2, 1, 'mgr-li', 202608, 3, 1),"
    " (3, 2, 'mgr-li', 202609, 1, 1), (4, 8, 'mgr-li', 202610, 1, 1),"
    " (5, 3, 'mgr-wang', 202608, 2, 1), (6, 6, 'mgr-wang', 202607, 2, 1),"
    " (7, 4, 'mgr-zhou', 202607, 2, 1), (8, 4, 'mgr-wang', 202606, 2, 1);";

class AnalyticsKpiTest : public test_support::SchemaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenSchema("kpi", Migrations(), absl::Seconds(10)));
    config_.zone = Shanghai();
    config_.currency = "CNY";
    kpis_ = std::make_unique<KpiAnalyses>(*pool_, config_);
    ASSERT_NO_FATAL_FAILURE(
        Exec(absl::StrCat(kAccounts, kAccountMonths, kTargets, ActivityRows(), OpportunityRows(),
                          StayRows(), ComplaintRows(), kVisits)));
  }

  Scope ScopeOf(const std::string& period, v1::AnalysisFilter filter = {}) {
    Scope scope;
    scope.period = ParsePeriod("period", period).value();
    scope.filter = std::move(filter);
    return scope;
  }

  static std::vector<int64_t> Ids(const google::protobuf::RepeatedPtrField<v1::AtRiskAccount>& r) {
    std::vector<int64_t> ids;
    for (const auto& row : r) ids.push_back(row.account().id());
    return ids;
  }

  AnalyticsConfig config_;
  std::unique_ptr<KpiAnalyses> kpis_;
};

v1::AnalysisFilter Filter(const std::string& region, const std::string& owner, int64_t group = 0,
                          int tier = 0) {
  v1::AnalysisFilter filter;
  filter.set_region(region);
  filter.set_owner_id(owner);
  filter.set_group_id(group);
  filter.set_tier(static_cast<kam::accounts::v1::Tier>(tier));
  return filter;
}

TEST_F(AnalyticsKpiTest, RetentionCountsCustomersNewcomersAndWhoCameBack) {
  absl::StatusOr<v1::AnalyzeRetentionResponse> r = kpis_->Retention(ScopeOf("2026-Q3"), 3);
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->period(), "2026-Q3");
  EXPECT_EQ(r->previous_period(), "2026-Q2");
  // Ordered in Q3: 1, 3, 7, 8, 9 (2 only paid, 6 is archived).
  EXPECT_EQ(r->customer_base(), 5);
  // First order in Q3: 8 and 9 in July (9 at 00:30 on 1 July), 7 in August; 6 is archived.
  EXPECT_EQ(r->new_customers(), 3);
  ASSERT_EQ(r->new_customers_by_month_size(), 3);
  EXPECT_EQ(r->new_customers_by_month(0).month(), "2026-07");
  EXPECT_EQ(r->new_customers_by_month(0).count(), 2);
  EXPECT_EQ(r->new_customers_by_month(1).count(), 1);
  EXPECT_EQ(r->new_customers_by_month(2).month(), "2026-09");
  EXPECT_EQ(r->new_customers_by_month(2).count(), 0);
  // Q2 customers 1, 2, 3, 4, 10; of them 1 and 3 ordered in Q3: 2 / 5 = 0.4, churn 0.6.
  EXPECT_EQ(r->previous_customers(), 5);
  EXPECT_EQ(r->retained_customers(), 2);
  EXPECT_THAT(r->retention_rate(), DoubleNear(0.4, kEps));
  EXPECT_THAT(r->churn_rate(), DoubleNear(0.6, kEps));
  // Key (A/B) Q2 customers 1, 2, 4, 10; only 1 came back: 1 / 4.
  EXPECT_EQ(r->previous_key_customers(), 4);
  EXPECT_EQ(r->retained_key_customers(), 1);
  EXPECT_THAT(r->key_retention_rate(), DoubleNear(0.25, kEps));
  // Orders 3 + 1 + 2 + 1 + 1 + 1 = 9; revenue 120001 + 30000 + 40000 + 10000 + 5000 + 7000
  // = 212001; 212001 / 9 = 23555.67 -> 23556 (nearest; truncation would give 23555).
  EXPECT_EQ(r->average_order_value().minor_units(), 23556);
  EXPECT_EQ(r->average_order_value().currency_code(), "CNY");
  // 9 orders / 5 customers.
  EXPECT_THAT(r->purchase_frequency(), DoubleNear(1.8, kEps));
  EXPECT_FALSE(r->has_facts());
}

TEST_F(AnalyticsKpiTest, ShareOfWalletScalesTheYearlyEstimatesToTheQuarter) {
  absl::StatusOr<v1::AnalyzeRetentionResponse> r = kpis_->Retention(ScopeOf("2026-Q3"), 3);
  ASSERT_TRUE(Ok(r));
  // 2026 estimates > 0 in scope: 1 (1,200,000), 3 (480,000), 5 (240,000, no revenue) = 1,920,000
  // a year, 480,000 for three months. Their Q3 revenue: 150001 + 40000 + 0 = 190001.
  // 190001 / 480000 = 0.395835416...
  EXPECT_EQ(r->wallet_accounts(), 3);
  EXPECT_THAT(r->share_of_wallet(), DoubleNear(190001.0 / 480000.0, kEps));

  // September alone: estimates 1,920,000 / 12 = 160,000; revenue 30000 (account 1).
  absl::StatusOr<v1::AnalyzeRetentionResponse> september = kpis_->Retention(ScopeOf("2026-09"), 3);
  ASSERT_TRUE(Ok(september));
  EXPECT_EQ(september->previous_period(), "2026-08");
  EXPECT_THAT(september->share_of_wallet(), DoubleNear(30000.0 / 160000.0, kEps));
}

TEST_F(AnalyticsKpiTest, AtRiskListsTierAAccountsLongWithoutOrdersOldestFirst) {
  absl::StatusOr<v1::AnalyzeRetentionResponse> r = kpis_->Retention(ScopeOf("2026-Q3"), 3);
  ASSERT_TRUE(Ok(r));
  // Tier A in scope: 1 (last order September), 4 (April), 5 (never), 9 (1 July 00:30 local),
  // 10 (30 June 23:59 local). At risk with 3 months: last order in June or before.
  // 5 never ordered: created January, so September - January = 8 months.
  // 4: September - April = 5. 10: September - June = 3. 9: July, 2 months, not at risk
  // (in UTC its order would fall in June).
  ASSERT_THAT(Ids(r->at_risk()), ElementsAre(5, 4, 10));
  EXPECT_FALSE(r->at_risk(0).has_last_order_time());
  EXPECT_EQ(r->at_risk(0).months_without_orders(), 8);
  EXPECT_EQ(r->at_risk(0).account().name(), "Epsilon");
  EXPECT_EQ(r->at_risk(0).account().owner_id(), "mgr-li");
  EXPECT_EQ(FromTimestamp(r->at_risk(1).last_order_time()), Local("2026-04-15 10:00"));
  EXPECT_EQ(r->at_risk(1).months_without_orders(), 5);
  EXPECT_EQ(r->at_risk(2).months_without_orders(), 3);

  // Five months: 4 is exactly at the limit, 10 is not.
  absl::StatusOr<v1::AnalyzeRetentionResponse> five = kpis_->Retention(ScopeOf("2026-Q3"), 5);
  ASSERT_TRUE(Ok(five));
  EXPECT_THAT(Ids(five->at_risk()), ElementsAre(5, 4));
  // One month: 9 (July) joins; 1 (September) never does.
  absl::StatusOr<v1::AnalyzeRetentionResponse> one = kpis_->Retention(ScopeOf("2026-Q3"), 1);
  ASSERT_TRUE(Ok(one));
  EXPECT_THAT(Ids(one->at_risk()), ElementsAre(5, 4, 10, 9));
}

TEST_F(AnalyticsKpiTest, ANeverOrderedAccountIsAtRiskOnlyAtRiskMonthsAfterItsCreation) {
  // Three more tier A accounts that never ordered, created (local time) in August, on
  // 30 June 23:30 and on 1 July 00:30 (30 June in UTC).
  ASSERT_NO_FATAL_FAILURE(Exec(absl::StrCat(
      "INSERT INTO accounts (account_id, name, nature, industry, region, scale, lifecycle_stage,"
      " status, tier, owner_id, parent_id, credit_rating, archived, create_time,"
      " source_sequence) VALUES"
      " (11, 'Lambda', 1, 'Steel', 'East', 1, 1, 1, 1, 'mgr-li', 0, 0, 0, ",
      Sql("2026-08-20 10:00"),
      ", 1), (12, 'Mu', 1, 'Steel', 'East', 1, 1, 1, 1, 'mgr-li', 0, 0, 0, ",
      Sql("2026-06-30 23:30"),
      ", 1), (13, 'Nu', 1, 'Steel', 'East', 1, 1, 1, 1, 'mgr-li', 0, 0, 0, ",
      Sql("2026-07-01 00:30"), ", 1);",
      "INSERT INTO account_groups (group_id, account_id, depth) VALUES"
      " (11, 11, 0), (12, 12, 0), (13, 13, 0);")));
  absl::StatusOr<v1::AnalyzeRetentionResponse> r = kpis_->Retention(ScopeOf("2026-Q3"), 3);
  ASSERT_TRUE(Ok(r));
  // 3 months before September: created in June or before. 11: September - August = 1, not
  // at risk (it has had no chance to order yet). 12: September - June = 3, at risk.
  // 13: September - July = 2, not at risk. Never ordered first (5, 12 by id), then 4, 10.
  ASSERT_THAT(Ids(r->at_risk()), ElementsAre(5, 12, 4, 10));
  EXPECT_FALSE(r->at_risk(1).has_last_order_time());
  EXPECT_EQ(r->at_risk(1).months_without_orders(), 3);
  // With one month, 13 (July: 2 months) joins, 11 (August: 1 month) too; 12 stays.
  absl::StatusOr<v1::AnalyzeRetentionResponse> one = kpis_->Retention(ScopeOf("2026-Q3"), 1);
  ASSERT_TRUE(Ok(one));
  EXPECT_THAT(Ids(one->at_risk()), ElementsAre(5, 11, 12, 13, 4, 10, 9));
  // With four months, 12 (3 months) is not at risk either.
  absl::StatusOr<v1::AnalyzeRetentionResponse> four = kpis_->Retention(ScopeOf("2026-Q3"), 4);
  ASSERT_TRUE(Ok(four));
  EXPECT_THAT(Ids(four->at_risk()), ElementsAre(5, 4));
}

TEST_F(AnalyticsKpiTest, RetentionFollowsTheFilter) {
  // West: 3, 4, 9, 10. Q3 customers 3, 9; Q2 customers 3, 4, 10, of which 3 came back.
  absl::StatusOr<v1::AnalyzeRetentionResponse> west =
      kpis_->Retention(ScopeOf("2026-Q3", Filter("West", "")), 3);
  ASSERT_TRUE(Ok(west));
  EXPECT_EQ(west->customer_base(), 2);
  EXPECT_EQ(west->previous_customers(), 3);
  EXPECT_EQ(west->retained_customers(), 1);
  EXPECT_EQ(west->new_customers(), 1);  // 9
  // (40000 + 7000) / (2 + 1) = 15666.67 -> 15667.
  EXPECT_EQ(west->average_order_value().minor_units(), 15667);
  EXPECT_THAT(Ids(west->at_risk()), ElementsAre(4, 10));
  // Wallet: only 3 (480,000 a year, 120,000 a quarter) with 40000: 1/3.
  EXPECT_EQ(west->wallet_accounts(), 1);
  EXPECT_THAT(west->share_of_wallet(), DoubleNear(1.0 / 3.0, kEps));

  // Group 3: Gamma and its child Eta (new in August).
  absl::StatusOr<v1::AnalyzeRetentionResponse> group =
      kpis_->Retention(ScopeOf("2026-Q3", Filter("", "", 3)), 3);
  ASSERT_TRUE(Ok(group));
  EXPECT_EQ(group->customer_base(), 2);
  EXPECT_EQ(group->new_customers(), 1);
  EXPECT_THAT(group->at_risk(), IsEmpty());

  // Owner mgr-li and tier A: 1 and 5.
  absl::StatusOr<v1::AnalyzeRetentionResponse> mine =
      kpis_->Retention(ScopeOf("2026-Q3", Filter("", "mgr-li", 0, 1)), 3);
  ASSERT_TRUE(Ok(mine));
  EXPECT_EQ(mine->customer_base(), 1);
  EXPECT_EQ(mine->previous_key_customers(), 1);
  EXPECT_THAT(Ids(mine->at_risk()), ElementsAre(5));
}

TEST_F(AnalyticsKpiTest, RetentionOfAnEmptyPeriodIsAllZero) {
  absl::StatusOr<v1::AnalyzeRetentionResponse> r = kpis_->Retention(ScopeOf("2030-02"), 3);
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->customer_base(), 0);
  EXPECT_EQ(r->previous_customers(), 0);
  // Nobody to lose: churn 0, not 1.
  EXPECT_EQ(r->churn_rate(), 0.0);
  EXPECT_EQ(r->average_order_value().minor_units(), 0);
  EXPECT_EQ(r->purchase_frequency(), 0.0);
  EXPECT_EQ(r->wallet_accounts(), 0);
  EXPECT_EQ(r->share_of_wallet(), 0.0);
  ASSERT_EQ(r->new_customers_by_month_size(), 1);
  EXPECT_EQ(r->new_customers_by_month(0).count(), 0);
}

TEST_F(AnalyticsKpiTest, PipelineStagesConversionAndTimeInStage) {
  absl::StatusOr<v1::AnalyzePipelineResponse> r = kpis_->Pipeline(ScopeOf("2026-Q3"));
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->period(), "2026-Q3");
  ASSERT_EQ(r->stages_size(), 6);
  // Created in Q3 (furthest stage): 1 (3), 2 (6, won), 3 (2), 4 (4), 8 (1), 11 (6); 7 is on
  // an archived account. Reached: 6, 5, 4, 3, 2, 2.
  std::vector<int> reached;
  for (const auto& s : r->stages()) reached.push_back(s.reached());
  EXPECT_THAT(reached, ElementsAre(6, 5, 4, 3, 2, 2));
  EXPECT_EQ(r->stages(0).stage(), kam::accounts::v1::STAGE_CUSTOMER_DEVELOPMENT);
  EXPECT_EQ(r->stages(5).stage(), kam::accounts::v1::STAGE_IMPLEMENTATION);
  // 5/6, 4/5, 3/4, 2/3, 2/2; IMPLEMENTATION -> won: 2 of 2 reached it, 1 won (2).
  EXPECT_THAT(r->stages(0).conversion_to_next(), DoubleNear(5.0 / 6.0, kEps));
  EXPECT_THAT(r->stages(1).conversion_to_next(), DoubleNear(0.8, kEps));
  EXPECT_THAT(r->stages(2).conversion_to_next(), DoubleNear(0.75, kEps));
  EXPECT_THAT(r->stages(3).conversion_to_next(), DoubleNear(2.0 / 3.0, kEps));
  EXPECT_THAT(r->stages(4).conversion_to_next(), DoubleNear(1.0, kEps));
  EXPECT_THAT(r->stages(5).conversion_to_next(), DoubleNear(0.5, kEps));
  // Stays that ended in Q3 (days): stage 1 {3, 1, 2}: mean 2, median 2.
  // Stage 2 {10, 2.5, 2}: mean 14.5 / 3, median 2.5. Stage 3 {12, 5}: mean 8.5, median the
  // lower middle, 5 (nearest rank: value ceil(0.5 x 2) = 1). Stage 4 {12, 2}: 7 and 2.
  // Stage 5 {10}. Stage 6 {23.5, 51}: mean 37.25, median 23.5. Opportunity 5 left stage 5
  // in June; 7's stay is on an archived account.
  EXPECT_THAT(r->stages(0).mean_days_in_stage(), DoubleNear(2, kEps));
  EXPECT_THAT(r->stages(0).median_days_in_stage(), DoubleNear(2, kEps));
  EXPECT_THAT(r->stages(1).mean_days_in_stage(), DoubleNear(14.5 / 3, kEps));
  EXPECT_THAT(r->stages(1).median_days_in_stage(), DoubleNear(2.5, kEps));
  EXPECT_THAT(r->stages(2).mean_days_in_stage(), DoubleNear(8.5, kEps));
  EXPECT_THAT(r->stages(2).median_days_in_stage(), DoubleNear(5, kEps));
  EXPECT_THAT(r->stages(3).mean_days_in_stage(), DoubleNear(7, kEps));
  EXPECT_THAT(r->stages(3).median_days_in_stage(), DoubleNear(2, kEps));
  EXPECT_THAT(r->stages(4).mean_days_in_stage(), DoubleNear(10, kEps));
  EXPECT_THAT(r->stages(5).mean_days_in_stage(), DoubleNear(37.25, kEps));
  EXPECT_THAT(r->stages(5).median_days_in_stage(), DoubleNear(23.5, kEps));
  // Open now, whenever created: 8 in stage 1, 4 in 2, 1 in 3, 9 in 4, 5 and 11 in 6.
  std::vector<int> open_now;
  for (const auto& s : r->stages()) open_now.push_back(s.open_now());
  EXPECT_THAT(open_now, ElementsAre(1, 1, 1, 1, 0, 2));
}

TEST_F(AnalyticsKpiTest, PipelineWinsLossesAndTheWeightedForecastByOwner) {
  absl::StatusOr<v1::AnalyzePipelineResponse> r = kpis_->Pipeline(ScopeOf("2026-Q3"));
  ASSERT_TRUE(Ok(r));
  // Closed in Q3: 2 won (September), 6 won (August), 3 lost; 10 was won in June.
  EXPECT_EQ(r->won(), 2);
  EXPECT_EQ(r->lost(), 1);
  EXPECT_THAT(r->win_rate(), DoubleNear(2.0 / 3.0, kEps));
  EXPECT_EQ(r->won_amount().minor_units(), 350000);  // 200000 + 150000
  // 2: 5 July -> 4 September = 61 days; 6: 1 April -> 10 August = 131 days; mean 96.
  EXPECT_THAT(r->mean_days_to_win(), DoubleNear(96, kEps));
  // mgr-wang: open 4, 5, 8, 9, 11; pipeline 80010 + 300000 + 10000 + 20000 + 40000 = 450010.
  // Expected to close in Q3: 4 (80010 x 15 = 1,200,150), 8 (23:59 on 30 September: 10000 x
  // 10 = 100,000), 11 (40000 x 90 = 3,600,000); not 5 (October) nor 9 (midnight 1 October).
  // 4,900,150 / 100 = 49001.5 -> 49002 (per-opportunity truncation would give 49001).
  // mgr-li: open 1 only: 100000 x 30 / 100 = 30000.
  ASSERT_EQ(r->owners_size(), 2);
  EXPECT_EQ(r->owners(0).owner_id(), "mgr-wang");
  EXPECT_EQ(r->owners(0).open_opportunities(), 5);
  EXPECT_EQ(r->owners(0).pipeline().minor_units(), 450010);
  EXPECT_EQ(r->owners(0).weighted_forecast().minor_units(), 49002);
  EXPECT_EQ(r->owners(1).owner_id(), "mgr-li");
  EXPECT_EQ(r->owners(1).open_opportunities(), 1);
  EXPECT_EQ(r->owners(1).pipeline().minor_units(), 100000);
  EXPECT_EQ(r->owners(1).weighted_forecast().minor_units(), 30000);
}

TEST_F(AnalyticsKpiTest, PipelineFollowsTheFilter) {
  // mgr-li's accounts 1, 2, 5, 8: opportunities 1, 2, 3 created in Q3, 10 closed in June.
  absl::StatusOr<v1::AnalyzePipelineResponse> r =
      kpis_->Pipeline(ScopeOf("2026-Q3", Filter("", "mgr-li")));
  ASSERT_TRUE(Ok(r));
  std::vector<int> reached;
  for (const auto& s : r->stages()) reached.push_back(s.reached());
  EXPECT_THAT(reached, ElementsAre(3, 3, 2, 1, 1, 1));
  EXPECT_EQ(r->won(), 1);
  EXPECT_EQ(r->lost(), 1);
  EXPECT_EQ(r->won_amount().minor_units(), 200000);
  ASSERT_EQ(r->owners_size(), 1);
  EXPECT_EQ(r->owners(0).owner_id(), "mgr-li");
}

TEST_F(AnalyticsKpiTest, ComplaintsCountsValidityAndResolutionTimes) {
  absl::StatusOr<v1::AnalyzeComplaintsResponse> r = kpis_->Complaints(ScopeOf("2026-Q3"), 2);
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->period(), "2026-Q3");
  // Created in Q3: 1, 2, 3, 4, 5, 6, 11 (7, 8 in June, 10 in October, 9 archived).
  EXPECT_EQ(r->complaints(), 7);
  // (category, state): quality/assigned 4 and 11, quality/implemented 2, quality/closed 1,
  // contract/recorded 5, transport/followed-up 6, service/invalid 3.
  std::vector<std::string> cells;
  for (const auto& c : r->counts()) {
    cells.push_back(absl::StrCat(static_cast<int>(c.category()), "/", static_cast<int>(c.state()),
                                 "=", c.count()));
  }
  EXPECT_THAT(cells, ElementsAre("1/3=2", "1/7=1", "1/9=1", "2/1=1", "3/8=1", "4/2=1"));
  // Judged: all but 5; valid: all judged but 3. 5 / 6.
  EXPECT_EQ(r->judged(), 6);
  EXPECT_EQ(r->valid(), 5);
  EXPECT_THAT(r->validity_rate(), DoubleNear(5.0 / 6.0, kEps));
  // Implemented in Q3: 1 (24 h), 2 (10 h), 6 (120 h), 7 (created in June, implemented at
  // 00:30 on 1 July: 21 days = 504 h); not 8 (23:59 on 30 June). Sorted {10, 24, 120, 504}:
  // mean 658 / 4 = 164.5; p50 = value ceil(2) = 24; p90 = value ceil(3.6) = 504.
  EXPECT_EQ(r->resolved(), 4);
  EXPECT_THAT(r->mean_hours_to_resolve(), DoubleNear(164.5, kEps));
  EXPECT_THAT(r->p50_hours_to_resolve(), DoubleNear(24, kEps));
  EXPECT_THAT(r->p90_hours_to_resolve(), DoubleNear(504, kEps));
}

TEST_F(AnalyticsKpiTest, ComplaintsBreachesFollowUpsAndRepeatComplainers) {
  absl::StatusOr<v1::AnalyzeComplaintsResponse> r = kpis_->Complaints(ScopeOf("2026-Q3"), 2);
  ASSERT_TRUE(Ok(r));
  // By tier at intake, over those created in Q3: A {1, 2 resolution, 3 judgment, 11}: 2 / 4;
  // C {4, 5}: 0 / 2; none {6 resolution}: 1 / 1. Untiered last.
  ASSERT_EQ(r->breaches_size(), 3);
  EXPECT_EQ(r->breaches(0).tier(), kam::accounts::v1::TIER_A);
  EXPECT_EQ(r->breaches(0).complaints(), 4);
  EXPECT_EQ(r->breaches(0).breached(), 2);
  EXPECT_THAT(r->breaches(0).breach_rate(), DoubleNear(0.5, kEps));
  EXPECT_EQ(r->breaches(1).tier(), kam::accounts::v1::TIER_C);
  EXPECT_EQ(r->breaches(1).breached(), 0);
  EXPECT_EQ(r->breaches(2).tier(), kam::accounts::v1::TIER_UNSPECIFIED);
  EXPECT_THAT(r->breaches(2).breach_rate(), DoubleNear(1.0, kEps));
  // Followed up in Q3: 1 (gap 2), 6 (gap 1), 7 (gap 4, created in June): mean 7 / 3.
  EXPECT_EQ(r->follow_ups(), 3);
  EXPECT_THAT(r->mean_satisfaction_gap(), DoubleNear(7.0 / 3.0, kEps));
  // Created in Q3 per account: 1 four times, 3 twice, 7 once.
  ASSERT_EQ(r->repeat_complainers_size(), 2);
  EXPECT_EQ(r->repeat_complainers(0).account().id(), 1);
  EXPECT_EQ(r->repeat_complainers(0).account().name(), "Alpha");
  EXPECT_EQ(r->repeat_complainers(0).complaints(), 4);
  EXPECT_EQ(r->repeat_complainers(1).account().id(), 3);
  EXPECT_EQ(r->repeat_complainers(1).complaints(), 2);

  absl::StatusOr<v1::AnalyzeComplaintsResponse> three = kpis_->Complaints(ScopeOf("2026-Q3"), 3);
  ASSERT_TRUE(Ok(three));
  ASSERT_EQ(three->repeat_complainers_size(), 1);
  EXPECT_EQ(three->repeat_complainers(0).account().id(), 1);
}

TEST_F(AnalyticsKpiTest, ComplaintsFollowTheFilter) {
  // Group 3 (accounts 3 and 7): complaints 4, 5, 6; only 6 implemented (120 h).
  absl::StatusOr<v1::AnalyzeComplaintsResponse> r =
      kpis_->Complaints(ScopeOf("2026-Q3", Filter("", "", 3)), 2);
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->complaints(), 3);
  EXPECT_EQ(r->resolved(), 1);
  EXPECT_THAT(r->p90_hours_to_resolve(), DoubleNear(120, kEps));
  EXPECT_EQ(r->follow_ups(), 1);
  ASSERT_EQ(r->repeat_complainers_size(), 1);
  EXPECT_EQ(r->repeat_complainers(0).account().id(), 3);
}

TEST_F(AnalyticsKpiTest, ScorecardsPerAccountManager) {
  absl::StatusOr<v1::GetManagerScorecardResponse> r = kpis_->Scorecards(ScopeOf("2026-Q3"));
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(r->period(), "2026-Q3");
  // By revenue: mgr-li 155001, mgr-wang 47000, mgr-zhou 10000.
  ASSERT_EQ(r->managers_size(), 3);
  const v1::ManagerScorecard& li = r->managers(0);
  const v1::ManagerScorecard& wang = r->managers(1);
  const v1::ManagerScorecard& zhou = r->managers(2);
  EXPECT_EQ(li.owner_id(), "mgr-li");
  EXPECT_EQ(wang.owner_id(), "mgr-wang");
  EXPECT_EQ(zhou.owner_id(), "mgr-zhou");

  // mgr-li: accounts 1 A, 2 B, 5 A, 8 C. Revenue 120001 + 30000 + 5000 = 155001; collected
  // 100000 + 60000 + 50000 + 5000 = 215000, so the rate is capped at 1.
  EXPECT_EQ(li.accounts(), 4);
  EXPECT_EQ(li.key_accounts(), 3);
  EXPECT_EQ(li.revenue().minor_units(), 155001);
  EXPECT_EQ(li.collected().minor_units(), 215000);
  EXPECT_EQ(li.collection_rate(), 1.0);
  // Visits planned for Q3: 1 completed, 2 cancelled, 3 still planned (4 is October).
  EXPECT_EQ(li.visits_planned(), 3);
  EXPECT_EQ(li.visits_completed(), 1);
  EXPECT_EQ(li.visits_cancelled(), 1);
  // Open opportunity 1: 100000 x 30 / 100.
  EXPECT_EQ(li.open_opportunities(), 1);
  EXPECT_EQ(li.pipeline().minor_units(), 100000);
  EXPECT_EQ(li.weighted_pipeline().minor_units(), 30000);
  // Created in Q3 on 1: 1, 2, 3, 11. Open now: 2, 11, 8 (June), 10 (October).
  EXPECT_EQ(li.complaints(), 4);
  EXPECT_EQ(li.open_complaints(), 4);

  // mgr-wang: 3 C, 4 A, 9 A, 10 A (6 archived). Revenue 40000 + 7000; collected 10000 +
  // 7000: 17000 / 47000.
  EXPECT_EQ(wang.accounts(), 4);
  EXPECT_EQ(wang.key_accounts(), 3);
  EXPECT_EQ(wang.revenue().minor_units(), 47000);
  EXPECT_THAT(wang.collection_rate(), DoubleNear(17000.0 / 47000.0, kEps));
  // Visit 5 completed (8 is June, 6 archived, 7 is mgr-zhou's).
  EXPECT_EQ(wang.visits_planned(), 1);
  EXPECT_EQ(wang.visits_completed(), 1);
  // Open 4, 5, 8, 9, 11, whatever their expected close: 1,200,150 + 27,000,000 + 100,000 +
  // 1,000,000 + 3,600,000 = 32,900,150 / 100 = 329001.5 -> 329002.
  EXPECT_EQ(wang.open_opportunities(), 5);
  EXPECT_EQ(wang.pipeline().minor_units(), 450010);
  EXPECT_EQ(wang.weighted_pipeline().minor_units(), 329002);
  EXPECT_EQ(wang.complaints(), 2);
  EXPECT_EQ(wang.open_complaints(), 2);

  // mgr-zhou: account 7 (D); his visit to mgr-wang's account 4 counts for him.
  EXPECT_EQ(zhou.accounts(), 1);
  EXPECT_EQ(zhou.key_accounts(), 0);
  EXPECT_EQ(zhou.collection_rate(), 0.0);
  EXPECT_EQ(zhou.visits_planned(), 1);
  EXPECT_EQ(zhou.open_opportunities(), 0);
  EXPECT_EQ(zhou.weighted_pipeline().minor_units(), 0);
  EXPECT_EQ(zhou.complaints(), 1);
  EXPECT_EQ(zhou.open_complaints(), 1);
}

TEST_F(AnalyticsKpiTest, AManagersFilterGivesOnlyTheirCard) {
  // mgr-wang's accounts: mgr-zhou's visit to account 4 gives no card for mgr-zhou.
  absl::StatusOr<v1::GetManagerScorecardResponse> r =
      kpis_->Scorecards(ScopeOf("2026-Q3", Filter("", "mgr-wang")));
  ASSERT_TRUE(Ok(r));
  ASSERT_EQ(r->managers_size(), 1);
  EXPECT_EQ(r->managers(0).owner_id(), "mgr-wang");
  EXPECT_EQ(r->managers(0).revenue().minor_units(), 47000);

  // Region East: 1, 2, 5, 8 (mgr-li) and 6 (archived, mgr-wang): one card.
  absl::StatusOr<v1::GetManagerScorecardResponse> east =
      kpis_->Scorecards(ScopeOf("2026-Q3", Filter("East", "")));
  ASSERT_TRUE(Ok(east));
  ASSERT_EQ(east->managers_size(), 1);
  EXPECT_EQ(east->managers(0).owner_id(), "mgr-li");
}

// The shared arithmetic.

TEST(KpiArithmeticTest, RoundedQuotientRoundsHalvesAwayFromZero) {
  EXPECT_EQ(RoundedQuotient(5, 2), 3);
  EXPECT_EQ(RoundedQuotient(7, 2), 4);
  EXPECT_EQ(RoundedQuotient(-5, 2), -3);
  EXPECT_EQ(RoundedQuotient(5, -2), -3);
  EXPECT_EQ(RoundedQuotient(1, 3), 0);
  EXPECT_EQ(RoundedQuotient(2, 3), 1);
  EXPECT_EQ(RoundedQuotient(4900150, 100), 49002);
  EXPECT_EQ(RoundedQuotient(4900149, 100), 49001);
  EXPECT_EQ(RoundedQuotient(12, 0), 0);
  // amount x probability beyond int64 stays exact.
  const absl::int128 big = absl::int128(INT64_MAX) * 100 + 50;
  EXPECT_EQ(RoundedQuotient(big, 100), absl::int128(INT64_MAX) + 1);
}

TEST(KpiArithmeticTest, NearestRankPercentiles) {
  const std::vector<double> ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(NearestRank(ten, 50), 5);
  EXPECT_EQ(NearestRank(ten, 90), 9);
  EXPECT_EQ(NearestRank(ten, 91), 10);
  EXPECT_EQ(NearestRank(ten, 100), 10);
  EXPECT_EQ(NearestRank({7}, 50), 7);
  EXPECT_EQ(NearestRank({}, 50), 0);
  EXPECT_EQ(Mean({1, 2, 6}), 3);
  EXPECT_EQ(Mean({}), 0);
}

TEST(KpiArithmeticTest, ShareOfWalletAndMonthsWithoutOrders) {
  EXPECT_DOUBLE_EQ(ShareOfWallet(30000, 1200000, 3), 0.1);
  EXPECT_EQ(ShareOfWallet(30000, 0, 3), 0.0);
  EXPECT_EQ(MonthsWithoutOrders(202606, 202609), 3);
  EXPECT_EQ(MonthsWithoutOrders(202511, 202602), 3);
  EXPECT_EQ(MonthsWithoutOrders(202610, 202609), 0);
}

}  // namespace
}  // namespace kam::analytics
