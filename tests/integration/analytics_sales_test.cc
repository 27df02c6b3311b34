// The sales analyses against a private MariaDB with analytics' migrations: rollup rows seeded
// with SQL (as the projection would write them), each analysis checked against a hand
// calculation to the cent, every filter, archived accounts left out, repeatable output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "embedded_migrations.h"
#include "services/analytics/sales_analysis.h"
#include "tests/support/schema_test.h"
#include "tests/support/test_helpers.h"

namespace kam::analytics {
namespace {

using test_support::Ok;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

namespace accounts_v1 = kam::accounts::v1;

constexpr v1::AbcClass A = v1::ABC_CLASS_A;
constexpr v1::AbcClass B = v1::ABC_CLASS_B;
constexpr v1::AbcClass C = v1::ABC_CLASS_C;

// The seeded world, period 2026-Q3 (July to September). Amounts are minor units (fen).
//
// id name   tier owner    region industry  nature lifecycle scale  Q3 revenue
//  1 Acme   A    mgr-li   East   Steel     GOV    LOYAL     LARGE  4,000,000 Jul + 2,000,050 Aug
//  2 Bolt   B    mgr-li   East   Chemicals ORD    REPEAT    MEDIUM 1,500,025 Jul + 1,000,000 Sep
//  3 Crane  C    mgr-wang North  Steel     ORD    REPEAT    SMALL  1,099,925 Aug
//  4 Dyna   A    mgr-wang North  Steel     SPEC   LOYAL     LARGE  200,000 Jul + 100,000 Aug
//  5 Echo   D    mgr-li   East   Chemicals INDIV  PROSPECT  MICRO  none (only October)
//  6 Fargo  -    mgr-zhou -      -         -      -         -      100,000 Sep
//  7 Ghost  A    mgr-li   East   Steel     GOV    LOYAL     LARGE  archived: 50,000,777 Jul
//
// Company revenue in Q3 (archived left out): 6,000,050 + 2,500,025 + 1,099,925 + 300,000 +
// 100,000 = 10,000,000. Account 1 also has June and October revenue (outside the period).
// Group 1 is Acme with its subsidiary Dyna (4).
constexpr int64_t kAcme = 6'000'050, kBolt = 2'500'025, kCrane = 1'099'925, kDyna = 300'000,
                  kFargo = 100'000, kCompany = 10'000'000;

class SalesAnalysisTest : public test_support::SchemaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenSchema("sales", Migrations(), absl::Seconds(10)));
    sales_ = std::make_unique<SalesAnalyses>(*pool_, config_);
    SeedAccounts();
    SeedSales();
    ASSERT_NO_FATAL_FAILURE(Exec(seed_));  // one client run: each costs ~0.1 s
  }

  void Seed(const std::string& statement) { absl::StrAppend(&seed_, statement, ";\n"); }

  void Account(int64_t id, const std::string& name, int tier, const std::string& owner,
               const std::string& region, const std::string& industry, int nature, int lifecycle,
               int scale, bool archived = false) {
    Seed(absl::StrCat(
        "INSERT INTO accounts (account_id, name, nature, industry, region, scale, lifecycle_stage,"
        " status, tier, owner_id, parent_id, credit_rating, archived, create_time,"
        " source_sequence) VALUES (",
        id, ", '", name, "', ", nature, ", '", industry, "', '", region, "', ", scale, ", ",
        lifecycle, ", 1, ", tier, ", '", owner, "', 0, 0, ", archived,
        ", '2025-01-01 00:00:00', 1)"));
    Seed(absl::StrCat("INSERT INTO account_groups VALUES (", id, ", ", id, ", 0)"));
  }

  void SeedAccounts() {
    Account(1, "Acme", 1, "mgr-li", "East", "Steel", 1, 4, 4);
    Account(2, "Bolt", 2, "mgr-li", "East", "Chemicals", 3, 3, 3);
    Account(3, "Crane", 3, "mgr-wang", "North", "Steel", 3, 3, 2);
    Account(4, "Dyna", 1, "mgr-wang", "North", "Steel", 2, 4, 4);
    Account(5, "Echo", 4, "mgr-li", "East", "Chemicals", 4, 1, 1);
    Account(6, "Fargo", 0, "mgr-zhou", "", "", 0, 0, 0);
    Account(7, "Ghost", 1, "mgr-li", "East", "Steel", 1, 4, 4, /*archived=*/true);
    Seed("UPDATE accounts SET parent_id = 1 WHERE account_id = 4");
    Seed("INSERT INTO account_groups VALUES (1, 4, 1)");
  }

  // One order rollup row: account_month, account_product_month and product_month move
  // together, as the projection applies an order line.
  void Sale(int64_t account, int month, const std::string& product, const std::string& category,
            int64_t quantity, int64_t revenue, int64_t cost) {
    Seed(absl::StrCat(
        "INSERT INTO account_month (account_id, month, revenue_minor, cost_minor, quantity, orders,"
        " order_lines) VALUES (",
        account, ", ", month, ", ", revenue, ", ", cost, ", ", quantity,
        ", 1, 1) ON DUPLICATE KEY UPDATE revenue_minor = revenue_minor + VALUES(revenue_minor),"
        " cost_minor = cost_minor + VALUES(cost_minor), quantity = quantity + VALUES(quantity)"));
    Seed(absl::StrCat("INSERT INTO account_product_month VALUES (", account, ", ", month, ", '",
                      product, "', ", quantity, ", ", revenue, ", ", cost, ")"));
    Seed(absl::StrCat("INSERT INTO product_month VALUES ('", product, "', ", month, ", '", category,
                      "', ", quantity, ", ", revenue, ", ", cost,
                      ") ON DUPLICATE KEY UPDATE product_category = VALUES(product_category),"
                      " quantity = quantity + VALUES(quantity), revenue_minor = revenue_minor +"
                      " VALUES(revenue_minor), cost_minor = cost_minor + VALUES(cost_minor)"));
  }

  void Inventory(const std::string& product, int month, int64_t value) {
    Seed(absl::StrCat("INSERT INTO inventory_snapshots VALUES ('", product, "', ", month, ", ",
                      value, ", 1, UTC_TIMESTAMP(6))"));
  }

  void Target(int64_t account, int year, int bp) {
    Seed(absl::StrCat("INSERT INTO account_targets VALUES (", account, ", ", year, ", ", bp,
                      ", 0, 50, UTC_TIMESTAMP(6))"));
  }

  void SeedSales() {
    Sale(1, 202606, "STEEL-01", "steel", 99, 9'999'999, 1);  // before the period
    Sale(1, 202607, "STEEL-01", "steel", 10, 3'000'000, 2'400'000);
    Sale(1, 202607, "PIPE-02", "pipe", 20, 1'000'000, 600'000);
    Sale(1, 202608, "STEEL-01", "steel plate", 5, 1'500'000, 1'200'000);
    Sale(1, 202608, "BOLT-03", "fastener", 100, 500'050, 500'050);
    Sale(1, 202610, "STEEL-01", "steel plate", 1, 8'888'888, 1);  // after the period
    Sale(2, 202607, "PIPE-02", "pipe", 30, 1'500'025, 900'000);
    Sale(2, 202609, "BOLT-03", "fastener", 200, 1'000'000, 800'000);
    Sale(3, 202608, "STEEL-01", "steel plate", 4, 1'099'925, 1'000'000);
    Sale(4, 202607, "PIPE-02", "pipe", 4, 200'000, 150'000);
    Sale(4, 202608, "PIPE-02", "pipe", 2, 100'000, 70'000);
    Sale(5, 202610, "GLUE-09", "adhesive", 1, 5'000, 1'000);  // after the period
    Sale(6, 202609, "GLUE-09", "adhesive", 1, 100'000, 40'000);
    Sale(7, 202607, "STEEL-01", "steel", 100, 50'000'000, 40'000'000);
    Sale(7, 202607, "ONLY-ARCH", "misc", 1, 777, 1);

    Inventory("STEEL-01", 202606, 5'000'000);  // before the period
    Inventory("STEEL-01", 202607, 1'000'000);
    Inventory("STEEL-01", 202608, 2'000'000);
    Inventory("STEEL-01", 202609, 3'000'000);
    Inventory("PIPE-02", 202607, 500'000);
    Inventory("PIPE-02", 202609, 250'001);
    Inventory("BOLT-03", 202609, 100'000);

    Target(1, 2026, 6001);
    Target(2, 2026, 2000);
    Target(3, 2025, 9000);  // another year
    Target(4, 2026, 300);
    Target(5, 2026, 100);
    Target(7, 2026, 5000);  // archived
  }

  Scope Q3(v1::AnalysisFilter filter = {}) {
    return Scope{ParsePeriod("period", "2026-Q3").value(), std::move(filter)};
  }

  v1::AnalyzeAbcResponse Abc(const Scope& scope, int a_bp = 7500, int b_bp = 9500) {
    v1::AbcThresholds t;
    t.set_a_share_bp(a_bp);
    t.set_b_share_bp(b_bp);
    absl::StatusOr<v1::AnalyzeAbcResponse> out = sales_->Abc(scope, t);
    EXPECT_TRUE(Ok(out));
    return out.ok() ? *out : v1::AnalyzeAbcResponse{};
  }

  template <typename Rows>
  static std::vector<int64_t> AccountIds(const Rows& rows) {
    std::vector<int64_t> ids;
    for (const auto& row : rows) ids.push_back(row.account().id());
    return ids;
  }

  std::string seed_;
  AnalyticsConfig config_{absl::UTCTimeZone(), "CNY"};
  std::unique_ptr<SalesAnalyses> sales_;
};

TEST_F(SalesAnalysisTest, AbcRanksClassesAndSummarisesEveryAccountInScope) {
  const v1::AnalyzeAbcResponse abc = Abc(Q3());
  EXPECT_EQ(abc.period(), "2026-Q3");
  // Every account but the archived one, Echo (no revenue) last.
  EXPECT_THAT(AccountIds(abc.rows()), ElementsAre(1, 2, 3, 4, 6, 5));
  EXPECT_EQ(abc.customers(), 6);
  EXPECT_EQ(abc.total_revenue().minor_units(), kCompany);
  EXPECT_EQ(abc.total_revenue().currency_code(), "CNY");

  // Starts: Acme 0 -> A; Bolt 6,000,050 / 10,000,000 = 60.0005 % -> A; Crane 8,500,075 ->
  // 85.00075 % -> B; Dyna 9,600,000 -> 96 % -> C; Fargo 99 % -> C; Echo no revenue -> C.
  std::vector<v1::AbcClass> classes;
  std::vector<int32_t> ranks;
  for (const v1::AbcRow& row : abc.rows()) {
    classes.push_back(row.abc_class());
    ranks.push_back(row.rank());
  }
  EXPECT_THAT(classes, ElementsAre(A, A, B, C, C, C));
  EXPECT_THAT(ranks, ElementsAre(1, 2, 3, 4, 5, 6));

  const v1::AbcRow& acme = abc.rows(0);
  EXPECT_EQ(acme.account().name(), "Acme");
  EXPECT_EQ(acme.account().tier(), accounts_v1::TIER_A);
  EXPECT_EQ(acme.account().owner_id(), "mgr-li");
  EXPECT_EQ(acme.account().region(), "East");
  EXPECT_EQ(acme.account().industry(), "Steel");
  // 4,000,000 + 2,000,050 (June and October left out).
  EXPECT_EQ(acme.revenue().minor_units(), 6'000'050);
  EXPECT_DOUBLE_EQ(acme.share(), 0.600005);
  EXPECT_DOUBLE_EQ(abc.rows(1).cumulative_share(), (6'000'050.0 + 2'500'025) / 1e7);
  EXPECT_EQ(abc.rows(2).revenue().minor_units(), kCrane);
  EXPECT_DOUBLE_EQ(abc.rows(3).share(), 0.03);
  EXPECT_EQ(abc.rows(5).revenue().minor_units(), 0);
  EXPECT_DOUBLE_EQ(abc.rows(5).cumulative_share(), 1.0);

  // A: Acme + Bolt = 8,500,075; B: Crane 1,099,925; C: Dyna + Fargo + Echo = 400,000.
  ASSERT_EQ(abc.classes_size(), 3);
  EXPECT_EQ(abc.classes(0).abc_class(), A);
  EXPECT_EQ(abc.classes(0).customers(), 2);
  EXPECT_EQ(abc.classes(0).revenue().minor_units(), 8'500'075);
  EXPECT_DOUBLE_EQ(abc.classes(0).share(), 0.8500075);
  EXPECT_EQ(abc.classes(1).abc_class(), B);
  EXPECT_EQ(abc.classes(1).customers(), 1);
  EXPECT_EQ(abc.classes(1).revenue().minor_units(), 1'099'925);
  EXPECT_EQ(abc.classes(2).abc_class(), C);
  EXPECT_EQ(abc.classes(2).customers(), 3);
  EXPECT_EQ(abc.classes(2).revenue().minor_units(), 400'000);
  EXPECT_DOUBLE_EQ(abc.classes(2).share(), 0.04);

  // 5 customers with revenue: ceil(20 % of 5) = 1 -> Acme's 6,000,050 / 10,000,000.
  EXPECT_DOUBLE_EQ(abc.pareto_top20_share(), 0.600005);
}

TEST_F(SalesAnalysisTest, AbcCustomThresholds) {
  // A below 50 %, B below 80 %: Acme starts at 0 -> A, Bolt at 60.0005 % -> B, Crane at
  // 85.00075 % -> C.
  const v1::AnalyzeAbcResponse abc = Abc(Q3(), 5000, 8000);
  ASSERT_EQ(abc.rows_size(), 6);
  EXPECT_EQ(abc.rows(0).abc_class(), A);
  EXPECT_EQ(abc.rows(1).abc_class(), B);
  EXPECT_EQ(abc.rows(2).abc_class(), C);
  EXPECT_EQ(abc.classes(1).revenue().minor_units(), kBolt);
}

TEST_F(SalesAnalysisTest, EveryFilterNarrowsTheAccountsAndLeavesArchivedOut) {
  struct Case {
    std::string name;
    v1::AnalysisFilter filter;
    std::vector<int64_t> ids;  // in rank order
    int64_t total;
  };
  std::vector<Case> cases(6);
  cases[0] = {"region East", {}, {1, 2, 5}, kAcme + kBolt};
  cases[0].filter.set_region("East");
  cases[1] = {"industry Steel", {}, {1, 3, 4}, kAcme + kCrane + kDyna};
  cases[1].filter.set_industry("Steel");
  cases[2] = {"owner mgr-wang", {}, {3, 4}, kCrane + kDyna};
  cases[2].filter.set_owner_id("mgr-wang");
  cases[3] = {"group 1 (Acme and Dyna)", {}, {1, 4}, kAcme + kDyna};
  cases[3].filter.set_group_id(1);
  cases[4] = {"tier A", {}, {1, 4}, kAcme + kDyna};
  cases[4].filter.set_tier(accounts_v1::TIER_A);
  cases[5] = {"region East and tier B", {}, {2}, kBolt};
  cases[5].filter.set_region("East");
  cases[5].filter.set_tier(accounts_v1::TIER_B);
  for (const Case& c : cases) {
    const v1::AnalyzeAbcResponse abc = Abc(Q3(c.filter));
    EXPECT_EQ(AccountIds(abc.rows()), c.ids) << c.name;
    EXPECT_EQ(abc.total_revenue().minor_units(), c.total) << c.name;
  }
  // Group 4 is Dyna alone (the closure has no row making Acme its descendant).
  v1::AnalysisFilter dyna;
  dyna.set_group_id(4);
  EXPECT_THAT(AccountIds(Abc(Q3(dyna)).rows()), ElementsAre(4));
  // Shares are of the filtered set: in East, Acme has 6,000,050 / 8,500,075.
  v1::AnalysisFilter east;
  east.set_region("East");
  EXPECT_DOUBLE_EQ(Abc(Q3(east)).rows(0).share(), 6'000'050.0 / 8'500'075);
  // Nobody in scope: an empty but well-formed result.
  v1::AnalysisFilter nobody;
  nobody.set_region("Atlantis");
  const v1::AnalyzeAbcResponse empty = Abc(Q3(nobody));
  EXPECT_THAT(empty.rows(), IsEmpty());
  EXPECT_EQ(empty.total_revenue().minor_units(), 0);
  EXPECT_EQ(empty.pareto_top20_share(), 0.0);
}

TEST_F(SalesAnalysisTest, TheSameInputGivesTheSameOutput) {
  const std::string first = Abc(Q3()).SerializeAsString();
  EXPECT_EQ(Abc(Q3()).SerializeAsString(), first);
  auto composition = [&] {
    return sales_->Composition(Q3(), v1::DIMENSION_REGION).value().SerializeAsString();
  };
  EXPECT_EQ(composition(), composition());
  auto transactions = [&] { return sales_->Transactions(Q3(), false).value().SerializeAsString(); };
  EXPECT_EQ(transactions(), transactions());
  auto products = [&] { return sales_->Products(Q3()).value().SerializeAsString(); };
  EXPECT_EQ(products(), products());
}

}  // namespace
}  // namespace kam::analytics
