// BusinessGauges against a private MariaDB with the accounts migrations: what a Grafana user
// reads on "Accounts by tier" and "Pipeline by stage" after accounts and opportunities
// change, from rows written straight to the tables.
#include "services/accounts/business_metrics.h"

#include <prometheus/registry.h>

#include <map>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "embedded_migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/schema_test.h"
#include "tests/support/test_helpers.h"

namespace kam::accounts {
namespace {

using test_support::Ok;

class BusinessMetricsTest : public test_support::SchemaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenSchema("business", Migrations(), absl::Seconds(5)));
    gauges_ = std::make_unique<BusinessGauges>(*pool_, registry_, absl::Hours(1));
  }

  // tier/status/stage as the tables hold them (archive.proto and pipeline.proto numbers).
  void AddAccount(int tier, int status, bool archived = false) {
    ++accounts_;
    Exec(absl::StrCat(
        "INSERT INTO accounts (name, registration_number, nature, status, tier, owner_id, "
        "archived, business_json, create_time, update_time) VALUES ('acc",
        accounts_, "', 'reg", accounts_, "', 1, ", status, ", ", tier, ", 'mgr', ",
        archived ? "TRUE" : "FALSE", ", '{}', NOW(6), NOW(6))"));
  }
  void AddOpportunity(int stage) {
    Exec(absl::StrCat(
        "INSERT INTO opportunities (account_id, name, owner_id, stage, probability_percent, "
        "needs, timetable, competition, decision_makers, relationship_progress, create_time, "
        "update_time) VALUES (1, 'opp', 'mgr', ",
        stage, ", 10, '', '', '', '', '', NOW(6), NOW(6))"));
  }

  // The value of one series in the registry's exposition; nullopt if there is none.
  std::optional<double> Value(const std::string& name,
                              const std::map<std::string, std::string>& labels) {
    for (const prometheus::MetricFamily& family : registry_.Collect()) {
      if (family.name != name) continue;
      for (const prometheus::ClientMetric& metric : family.metric) {
        std::map<std::string, std::string> have;
        for (const auto& label : metric.label) have[label.name] = label.value;
        if (have == labels) return metric.gauge.value;
      }
    }
    return std::nullopt;
  }

  prometheus::Registry registry_;
  std::unique_ptr<BusinessGauges> gauges_;
  int accounts_ = 0;
};

TEST_F(BusinessMetricsTest, EverySeriesExistsAtZeroBeforeTheFirstCount) {
  EXPECT_EQ(Value("kam_accounts", {{"tier", "A"}, {"status", "active"}}), 0);
  EXPECT_EQ(Value("kam_accounts", {{"tier", "untiered"}, {"status", "dormant"}}), 0);
  EXPECT_EQ(Value("kam_pipeline_opportunities", {{"stage", "customer_development"}}), 0);
  EXPECT_EQ(Value("kam_pipeline_opportunities", {{"stage", "implementation"}}), 0);
  // Won and lost are closed: not part of the pipeline.
  EXPECT_EQ(Value("kam_pipeline_opportunities", {{"stage", "won"}}), std::nullopt);
  EXPECT_EQ(Value("kam_pipeline_opportunities", {{"stage", "lost"}}), std::nullopt);
}

TEST_F(BusinessMetricsTest, CountsAccountsByTierAndStatusLeavingArchivedOnesOut) {
  AddAccount(/*tier=*/1, /*status=*/1);
  AddAccount(1, 1);
  AddAccount(2, 1);
  AddAccount(0, 1);
  AddAccount(3, 3);
  AddAccount(1, 1, /*archived=*/true);
  ASSERT_TRUE(Ok(gauges_->Refresh()));
  EXPECT_EQ(Value("kam_accounts", {{"tier", "A"}, {"status", "active"}}), 2);
  EXPECT_EQ(Value("kam_accounts", {{"tier", "B"}, {"status", "active"}}), 1);
  EXPECT_EQ(Value("kam_accounts", {{"tier", "untiered"}, {"status", "active"}}), 1);
  EXPECT_EQ(Value("kam_accounts", {{"tier", "C"}, {"status", "dormant"}}), 1);
  EXPECT_EQ(Value("kam_accounts", {{"tier", "D"}, {"status", "active"}}), 0);
}

TEST_F(BusinessMetricsTest, CountsOpenOpportunitiesByStageAndFollowsMoves) {
  AddAccount(/*tier=*/1, /*status=*/1);  // account 1, which the opportunities belong to
  AddOpportunity(/*customer_development=*/1);
  AddOpportunity(1);
  AddOpportunity(/*bidding=*/4);
  AddOpportunity(/*won=*/7);
  AddOpportunity(/*lost=*/8);
  ASSERT_TRUE(Ok(gauges_->Refresh()));
  EXPECT_EQ(Value("kam_pipeline_opportunities", {{"stage", "customer_development"}}), 2);
  EXPECT_EQ(Value("kam_pipeline_opportunities", {{"stage", "bidding"}}), 1);
  EXPECT_EQ(Value("kam_pipeline_opportunities", {{"stage", "proposal"}}), 0);

  // The bid is won: bidding empties to 0 (the series stays), nothing else moves.
  Exec("UPDATE opportunities SET stage = 7 WHERE stage = 4");
  ASSERT_TRUE(Ok(gauges_->Refresh()));
  EXPECT_EQ(Value("kam_pipeline_opportunities", {{"stage", "bidding"}}), 0);
  EXPECT_EQ(Value("kam_pipeline_opportunities", {{"stage", "customer_development"}}), 2);
}

TEST_F(BusinessMetricsTest, StartCountsAtOnce) {
  AddAccount(4, 1);
  gauges_->Start();
  const bool counted = [&] {
    for (int i = 0; i < 100; ++i) {
      if (Value("kam_accounts", {{"tier", "D"}, {"status", "active"}}) == 1) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }();
  gauges_->Stop();
  EXPECT_TRUE(counted) << "the first count did not come at Start";
}

}  // namespace
}  // namespace kam::accounts
