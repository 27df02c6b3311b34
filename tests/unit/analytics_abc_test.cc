// The pure sales rules: ABC ranking and classes, the Pareto figure, threshold checks and the
// product ranking (margin, turnover, cross ratio, contribution). Hand calculations are in the
// comments beside each expectation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "services/analytics/sales_analysis.h"

namespace kam::analytics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr v1::AbcClass A = v1::ABC_CLASS_A;
constexpr v1::AbcClass B = v1::ABC_CLASS_B;
constexpr v1::AbcClass C = v1::ABC_CLASS_C;

// Rows with ids 1..n in the order given (already ranked).
std::vector<RevenueRow> Ranked(const std::vector<int64_t>& revenues) {
  std::vector<RevenueRow> rows;
  for (size_t i = 0; i < revenues.size(); ++i) {
    rows.push_back({static_cast<int64_t>(i + 1), revenues[i]});
  }
  return rows;
}

std::vector<v1::AbcClass> Classes(const std::vector<AbcAssignment>& out) {
  std::vector<v1::AbcClass> classes;
  for (const AbcAssignment& a : out) classes.push_back(a.abc_class);
  return classes;
}

std::vector<int32_t> Ranks(const std::vector<AbcAssignment>& out) {
  std::vector<int32_t> ranks;
  for (const AbcAssignment& a : out) ranks.push_back(a.rank);
  return ranks;
}

TEST(SortByRevenueTest, LargestFirstThenAccountId) {
  std::vector<RevenueRow> rows = {{5, 100}, {3, 300}, {9, 100}, {1, 0}, {2, 100}};
  SortByRevenue(rows);
  std::vector<int64_t> ids;
  for (const RevenueRow& r : rows) ids.push_back(r.account_id);
  EXPECT_THAT(ids, ElementsAre(3, 2, 5, 9, 1));
}

TEST(ClassifyAbcTest, ExactlySeventyFivePercentBeforeIsNoLongerA) {
  // 75 + 20 + 5 = 100. Before #2: 75/100 = 75 %, not below 75 % -> B. Before #3: 95 %, not
  // below 95 % -> C.
  const auto out = ClassifyAbc(Ranked({75, 20, 5}), 7500, 9500);
  EXPECT_THAT(Classes(out), ElementsAre(A, B, C));
  EXPECT_DOUBLE_EQ(out[0].share, 0.75);
  EXPECT_DOUBLE_EQ(out[1].cumulative_share, 0.95);
  EXPECT_DOUBLE_EQ(out[2].cumulative_share, 1.0);
}

TEST(ClassifyAbcTest, TheCustomerStraddlingALineJoinsTheHigherClass) {
  // 50 + 40 + 10 = 100. #2 runs from 50 % to 90 %: its share before (50 %) is below 75 % -> A.
  // #3 starts at 90 % < 95 % -> B although it ends at 100 %.
  const auto out = ClassifyAbc(Ranked({50, 40, 10}), 7500, 9500);
  EXPECT_THAT(Classes(out), ElementsAre(A, A, B));
  EXPECT_DOUBLE_EQ(out[1].share, 0.4);
  EXPECT_DOUBLE_EQ(out[1].cumulative_share, 0.9);
}

TEST(ClassifyAbcTest, TiesAcrossALineTakeTheClassOfTheFirst) {
  // 60 + 20 + 20 = 100. #2 starts at 60 % -> A; #3 would start at 80 % (B) but ties #2 -> A.
  const auto a_line = ClassifyAbc(Ranked({60, 20, 20}), 7500, 9500);
  EXPECT_THAT(Classes(a_line), ElementsAre(A, A, A));
  EXPECT_THAT(Ranks(a_line), ElementsAre(1, 2, 2));
  // 700 + 240 + 30 + 30 = 1000. #3 starts at 94 % -> B; #4 would start at 97 % (C), ties -> B.
  const auto b_line = ClassifyAbc(Ranked({700, 240, 30, 30}), 7500, 9500);
  EXPECT_THAT(Classes(b_line), ElementsAre(A, A, B, B));
  EXPECT_THAT(Ranks(b_line), ElementsAre(1, 2, 3, 3));
}

TEST(ClassifyAbcTest, CustomersWithoutRevenueAreC) {
  const auto some = ClassifyAbc(Ranked({10, 0, 0}), 7500, 9500);
  EXPECT_THAT(Classes(some), ElementsAre(A, C, C));
  EXPECT_THAT(Ranks(some), ElementsAre(1, 2, 2));
  EXPECT_DOUBLE_EQ(some[2].cumulative_share, 1.0);

  const auto none = ClassifyAbc(Ranked({0, 0, 0}), 7500, 9500);
  EXPECT_THAT(Classes(none), ElementsAre(C, C, C));
  EXPECT_THAT(Ranks(none), ElementsAre(1, 1, 1));
  EXPECT_EQ(none[0].share, 0.0);
  EXPECT_EQ(none[2].cumulative_share, 0.0);
  EXPECT_EQ(ParetoTop20Share(Ranked({0, 0, 0})), 0.0);
  EXPECT_TRUE(ClassifyAbc({}, 7500, 9500).empty());
  EXPECT_EQ(ParetoTop20Share({}), 0.0);
}

TEST(ClassifyAbcTest, ASingleCustomerIsAWithTheWholeShare) {
  const auto out = ClassifyAbc(Ranked({12345}), 7500, 9500);
  EXPECT_THAT(Classes(out), ElementsAre(A));
  EXPECT_EQ(out[0].rank, 1);
  EXPECT_DOUBLE_EQ(out[0].share, 1.0);
  EXPECT_DOUBLE_EQ(out[0].cumulative_share, 1.0);
  EXPECT_DOUBLE_EQ(ParetoTop20Share(Ranked({12345})), 1.0);
}

TEST(ClassifyAbcTest, CustomThresholds) {
  // 40 + 30 + 20 + 10 = 100 with A < 50 %, B < 80 %: starts 0, 40, 70, 90 % -> A, A, B, C.
  EXPECT_THAT(Classes(ClassifyAbc(Ranked({40, 30, 20, 10}), 5000, 8000)), ElementsAre(A, A, B, C));
  // The same customers with the defaults: starts 0, 40, 70 (< 75), 90 (< 95) -> A, A, A, B.
  EXPECT_THAT(Classes(ClassifyAbc(Ranked({40, 30, 20, 10}), 7500, 9500)), ElementsAre(A, A, A, B));
  // B up to 100 %: nobody with revenue is C.
  EXPECT_THAT(Classes(ClassifyAbc(Ranked({40, 30, 20, 10}), 1000, 10000)), ElementsAre(A, B, B, B));
}

TEST(ClassifyAbcTest, SharesAreComparedExactlyNotInFloatingPoint) {
  // Total 4e17; #2 starts at (3e17 - 1) / 4e17 = 75 % - 2.5e-18, which a double rounds to
  // exactly 0.75 (not below: B); the exact comparison keeps it just below the line: A.
  const int64_t first = 300'000'000'000'000'000 - 1;
  const int64_t second = 100'000'000'000'000'000 + 1;
  ASSERT_EQ(static_cast<double>(first) / static_cast<double>(first + second), 0.75);
  EXPECT_THAT(Classes(ClassifyAbc(Ranked({first, second}), 7500, 9500)), ElementsAre(A, A));
}

TEST(ParetoTop20ShareTest, TopFifthOfCustomersWithRevenueRoundedUp) {
  // 7 customers with revenue (+ 2 without): ceil(7 x 20 %) = 2 -> (50 + 20) / 100.
  EXPECT_DOUBLE_EQ(ParetoTop20Share(Ranked({50, 20, 10, 8, 6, 4, 2, 0, 0})), 0.7);
  // 10 customers: exactly 2 -> (30 + 20) / (30 + 20 + 7 x 4 + 6 x 2 + 5 x 2) = 50 / 100.
  EXPECT_DOUBLE_EQ(ParetoTop20Share(Ranked({30, 20, 7, 7, 7, 7, 6, 6, 5, 5})), 0.5);
  // 11 customers: ceil(2.2) = 3 -> (40 + 30 + 10) / 110.
  EXPECT_DOUBLE_EQ(ParetoTop20Share(Ranked({40, 30, 10, 5, 5, 5, 5, 5, 2, 2, 1})), 80.0 / 110.0);
}

TEST(CheckAbcThresholdsTest, ZeroMeansTheDefaults) {
  absl::StatusOr<v1::AbcThresholds> both = CheckAbcThresholds({});
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->a_share_bp(), 7500);
  EXPECT_EQ(both->b_share_bp(), 9500);

  v1::AbcThresholds only_a;
  only_a.set_a_share_bp(6000);
  absl::StatusOr<v1::AbcThresholds> filled = CheckAbcThresholds(only_a);
  ASSERT_TRUE(filled.ok()) << filled.status();
  EXPECT_EQ(filled->a_share_bp(), 6000);
  EXPECT_EQ(filled->b_share_bp(), 9500);

  v1::AbcThresholds widest;
  widest.set_a_share_bp(1);
  widest.set_b_share_bp(10000);
  EXPECT_TRUE(CheckAbcThresholds(widest).ok());
}

absl::Status Check(int a, int b) {
  v1::AbcThresholds t;
  t.set_a_share_bp(a);
  t.set_b_share_bp(b);
  return CheckAbcThresholds(t).status();
}

TEST(CheckAbcThresholdsTest, InvalidThresholdsNameTheField) {
  for (const auto& [a, b] : std::vector<std::pair<int, int>>{{-1, 9000}, {10000, 0}, {12000, 0}}) {
    const absl::Status status = Check(a, b);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << a << "/" << b;
    EXPECT_THAT(std::string(status.message()), StartsWith("thresholds.a_share_bp")) << a;
  }
  for (const auto& [a, b] : std::vector<std::pair<int, int>>{
           {5000, -5}, {5000, 10001}, {8000, 8000}, {8000, 7000}, {9600, 0}}) {
    const absl::Status status = Check(a, b);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << a << "/" << b;
    EXPECT_THAT(std::string(status.message()), StartsWith("thresholds.b_share_bp")) << b;
  }
  EXPECT_THAT(std::string(Check(9600, 0).message()), HasSubstr("9600"));
}

ProductFigures Product(const std::string& code, int64_t revenue, int64_t cost, int64_t months,
                       int64_t inventory_sum) {
  ProductFigures p;
  p.product_code = code;
  p.product_category = "cat-" + code;
  p.quantity = 1;
  p.revenue = revenue;
  p.cost = cost;
  p.inventory_months = months;
  p.inventory_sum = inventory_sum;
  return p;
}

TEST(RankProductsTest, MarginTurnoverCrossRatioAndContribution) {
  // Revenue 600 + 300 + 100 + 100 = 1100.
  const std::vector<v1::ProductRow> rows =
      RankProducts({Product("Z-100", 100, 100, 0, 0), Product("P2", 300, 150, 2, 301),
                    Product("P1", 600, 450, 3, 900), Product("A-100", 100, 120, 1, 50)},
                   "CNY");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].product_code(), "P1");
  EXPECT_EQ(rows[1].product_code(), "P2");
  EXPECT_EQ(rows[2].product_code(), "A-100");  // ties by code
  EXPECT_EQ(rows[3].product_code(), "Z-100");
  EXPECT_EQ(rows[0].rank(), 1);
  EXPECT_EQ(rows[2].rank(), 3);
  EXPECT_EQ(rows[3].rank(), 3);
  EXPECT_EQ(rows[0].product_category(), "cat-P1");
  EXPECT_EQ(rows[0].revenue().currency_code(), "CNY");

  // P1: share 600/1100, margin (600-450)/600 = 0.25, average 900/3 = 300, turnover 600/300 =
  // 2, cross 0.25 x 2 = 0.5.
  EXPECT_DOUBLE_EQ(rows[0].share(), 600.0 / 1100);
  EXPECT_DOUBLE_EQ(rows[0].cumulative_share(), 600.0 / 1100);
  EXPECT_DOUBLE_EQ(rows[0].gross_margin_rate(), 0.25);
  EXPECT_EQ(rows[0].average_inventory().minor_units(), 300);
  EXPECT_DOUBLE_EQ(rows[0].turnover_rate(), 2.0);
  EXPECT_DOUBLE_EQ(rows[0].cross_ratio(), 0.5);
  // P2: margin 150/300 = 0.5, average 301/2 = 150.5 -> 151 (half up) for display, turnover
  // exact 300 x 2 / 301, cross 0.5 x 600/301 = 300/301.
  EXPECT_DOUBLE_EQ(rows[1].cumulative_share(), 900.0 / 1100);
  EXPECT_EQ(rows[1].average_inventory().minor_units(), 151);
  EXPECT_DOUBLE_EQ(rows[1].turnover_rate(), 600.0 / 301);
  EXPECT_DOUBLE_EQ(rows[1].cross_ratio(), 300.0 / 301);
  // A-100 sells below cost: margin -20/100 = -0.2, turnover 100/50 = 2, cross -0.4.
  EXPECT_DOUBLE_EQ(rows[2].gross_margin_rate(), -0.2);
  EXPECT_DOUBLE_EQ(rows[2].cross_ratio(), -0.4);
  // Z-100 has no inventory: no turnover, cross ratio or contribution.
  EXPECT_FALSE(rows[3].has_inventory());
  EXPECT_TRUE(rows[2].has_inventory());
  EXPECT_EQ(rows[3].turnover_rate(), 0.0);
  EXPECT_EQ(rows[3].contribution_ratio(), 0.0);
  EXPECT_DOUBLE_EQ(rows[3].cumulative_share(), 1.0);

  // cross x share: P1 0.5 x 6/11 = 3/11, P2 300/301 x 3/11 = 900/3311, A-100 -0.4 x 1/11.
  const double p1 = 3.0 / 11, p2 = 900.0 / 3311, a100 = -0.4 / 11;
  const double sum = p1 + p2 + a100;
  EXPECT_DOUBLE_EQ(rows[0].contribution_ratio(), p1 / sum);
  EXPECT_DOUBLE_EQ(rows[1].contribution_ratio(), p2 / sum);
  EXPECT_DOUBLE_EQ(rows[2].contribution_ratio(), a100 / sum);
  EXPECT_DOUBLE_EQ(
      rows[0].contribution_ratio() + rows[1].contribution_ratio() + rows[2].contribution_ratio(),
      1.0);
}

TEST(RankProductsTest, ZeroInventoryAndZeroRevenueDoNotDivide) {
  // A zero average inventory gives no turnover; no revenue gives no margin; with no positive
  // cross x share anywhere the contributions stay 0.
  const std::vector<v1::ProductRow> rows =
      RankProducts({Product("X", 500, 100, 2, 0), Product("Y", 0, 0, 1, 10)}, "CNY");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0].has_inventory());
  EXPECT_EQ(rows[0].turnover_rate(), 0.0);
  EXPECT_DOUBLE_EQ(rows[0].gross_margin_rate(), 0.8);
  EXPECT_EQ(rows[1].gross_margin_rate(), 0.0);
  EXPECT_EQ(rows[0].contribution_ratio(), 0.0);
  EXPECT_EQ(rows[1].contribution_ratio(), 0.0);
}

}  // namespace
}  // namespace kam::analytics
