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
    Sale(1, 202610, "STEEL-01", "steel coil", 1, 8'888'888, 1);  // after the period
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

TEST_F(SalesAnalysisTest, CompositionByTierWithKeyAccounts) {
  absl::StatusOr<v1::AnalyzeCompositionResponse> out =
      sales_->Composition(Q3(), v1::DIMENSION_TIER);
  ASSERT_TRUE(Ok(out));
  EXPECT_EQ(out->period(), "2026-Q3");
  EXPECT_EQ(out->dimension(), v1::DIMENSION_TIER);
  // TIER_A: Acme + Dyna = 6,000,050 + 300,000 = 6,300,050 (both key accounts); TIER_B: Bolt
  // 2,500,025 (key); TIER_C: Crane 1,099,925; unset: Fargo 100,000; TIER_D: Echo 0.
  std::vector<std::string> keys;
  for (const v1::CompositionClass& c : out->classes()) keys.push_back(c.key());
  EXPECT_THAT(keys, ElementsAre("TIER_A", "TIER_B", "TIER_C", "", "TIER_D"));
  const v1::CompositionClass& tier_a = out->classes(0);
  EXPECT_EQ(tier_a.customers(), 2);
  EXPECT_EQ(tier_a.revenue().minor_units(), 6'300'050);
  EXPECT_DOUBLE_EQ(tier_a.share(), 0.630005);
  EXPECT_EQ(tier_a.key_accounts(), 2);
  EXPECT_EQ(tier_a.key_account_revenue().minor_units(), 6'300'050);
  EXPECT_EQ(out->classes(1).key_accounts(), 1);
  EXPECT_EQ(out->classes(2).key_accounts(), 0);
  EXPECT_EQ(out->classes(2).key_account_revenue().minor_units(), 0);
  EXPECT_DOUBLE_EQ(out->classes(3).share(), 0.01);
  EXPECT_EQ(out->classes(4).customers(), 1);
  EXPECT_EQ(out->classes(4).revenue().minor_units(), 0);

  EXPECT_EQ(out->total_revenue().minor_units(), kCompany);
  // Key accounts: Acme, Dyna, Bolt; (6,300,050 + 2,500,025) / 10,000,000.
  EXPECT_EQ(out->key_accounts(), 3);
  EXPECT_DOUBLE_EQ(out->key_account_share(), 0.8800075);

  // Rows by class, then revenue.
  EXPECT_THAT(AccountIds(out->rows()), ElementsAre(1, 4, 2, 3, 6, 5));
  EXPECT_EQ(out->rows(0).class_key(), "TIER_A");
  EXPECT_EQ(out->rows(0).revenue().minor_units(), kAcme);
  EXPECT_DOUBLE_EQ(out->rows(0).share_in_class(), 6'000'050.0 / 6'300'050);
  EXPECT_DOUBLE_EQ(out->rows(1).share_in_class(), 300'000.0 / 6'300'050);
  EXPECT_DOUBLE_EQ(out->rows(2).share_in_class(), 1.0);
  EXPECT_EQ(out->rows(4).class_key(), "");
  EXPECT_EQ(out->rows(5).class_key(), "TIER_D");
  EXPECT_EQ(out->rows(5).share_in_class(), 0.0);
  EXPECT_EQ(out->rows(0).account().name(), "Acme");
}

TEST_F(SalesAnalysisTest, CompositionKeysForEveryDimension) {
  struct Case {
    v1::Dimension dimension;
    std::vector<std::string> keys;
    std::vector<int64_t> revenues;
  };
  const std::vector<Case> cases = {
      // 1 GOV 6,000,050; 2 + 3 ORDINARY 2,500,025 + 1,099,925; 4 SPECIAL; 6 unset; 5 INDIVIDUAL.
      {v1::DIMENSION_NATURE,
       {"NATURE_GOVERNMENT", "NATURE_ORDINARY_COMPANY", "NATURE_SPECIAL_COMPANY", "",
        "NATURE_INDIVIDUAL"},
       {kAcme, kBolt + kCrane, kDyna, kFargo, 0}},
      {v1::DIMENSION_LIFECYCLE,
       {"LIFECYCLE_STAGE_LOYAL", "LIFECYCLE_STAGE_REPEAT", "", "LIFECYCLE_STAGE_PROSPECT"},
       {kAcme + kDyna, kBolt + kCrane, kFargo, 0}},
      {v1::DIMENSION_SCALE,
       {"SCALE_LARGE", "SCALE_MEDIUM", "SCALE_SMALL", "", "SCALE_MICRO"},
       {kAcme + kDyna, kBolt, kCrane, kFargo, 0}},
      // Steel 6,000,050 + 1,099,925 + 300,000 = 7,399,975.
      {v1::DIMENSION_INDUSTRY, {"Steel", "Chemicals", ""}, {kAcme + kCrane + kDyna, kBolt, kFargo}},
      {v1::DIMENSION_REGION, {"East", "North", ""}, {kAcme + kBolt, kCrane + kDyna, kFargo}},
      {v1::DIMENSION_OWNER,
       {"mgr-li", "mgr-wang", "mgr-zhou"},
       {kAcme + kBolt, kCrane + kDyna, kFargo}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<v1::AnalyzeCompositionResponse> out = sales_->Composition(Q3(), c.dimension);
    ASSERT_TRUE(Ok(out));
    std::vector<std::string> keys;
    std::vector<int64_t> revenues;
    for (const v1::CompositionClass& k : out->classes()) {
      keys.push_back(k.key());
      revenues.push_back(k.revenue().minor_units());
    }
    EXPECT_EQ(keys, c.keys) << v1::Dimension_Name(c.dimension);
    EXPECT_EQ(revenues, c.revenues) << v1::Dimension_Name(c.dimension);
  }
}

TEST_F(SalesAnalysisTest, CompositionTiesByKeyAndFilters) {
  // Two more regions without revenue: equal revenue (0) orders by key.
  Exec(
      "INSERT INTO accounts SELECT 8, 'Hale', nature, industry, 'Zulu', scale,"
      " lifecycle_stage, status, tier, owner_id, 0, 0, 0, create_time, 1 FROM accounts"
      " WHERE account_id = 5");
  Exec(
      "INSERT INTO accounts SELECT 9, 'Iris', nature, industry, 'Alpha', scale,"
      " lifecycle_stage, status, tier, owner_id, 0, 0, 0, create_time, 1 FROM accounts"
      " WHERE account_id = 5");
  absl::StatusOr<v1::AnalyzeCompositionResponse> all =
      sales_->Composition(Q3(), v1::DIMENSION_REGION);
  ASSERT_TRUE(Ok(all));
  std::vector<std::string> keys;
  for (const v1::CompositionClass& c : all->classes()) keys.push_back(c.key());
  EXPECT_THAT(keys, ElementsAre("East", "North", "", "Alpha", "Zulu"));
  EXPECT_THAT(AccountIds(all->rows()), ElementsAre(1, 2, 5, 3, 4, 6, 9, 8));

  // Owner mgr-li: Acme, Bolt, Echo, Hale, Iris (the archived Ghost left out); shares of
  // their own total 8,500,075.
  v1::AnalysisFilter mine;
  mine.set_owner_id("mgr-li");
  absl::StatusOr<v1::AnalyzeCompositionResponse> li =
      sales_->Composition(Q3(mine), v1::DIMENSION_INDUSTRY);
  ASSERT_TRUE(Ok(li));
  ASSERT_EQ(li->classes_size(), 2);
  EXPECT_EQ(li->classes(0).key(), "Steel");
  EXPECT_EQ(li->classes(0).customers(), 1);
  EXPECT_DOUBLE_EQ(li->classes(0).share(), 6'000'050.0 / 8'500'075);
  EXPECT_EQ(li->classes(1).key(), "Chemicals");
  EXPECT_EQ(li->classes(1).customers(), 4);  // Bolt, Echo, Hale, Iris
  EXPECT_EQ(li->total_revenue().minor_units(), 8'500'075);
  EXPECT_EQ(li->key_accounts(), 2);
}

TEST_F(SalesAnalysisTest, TransactionsMonthsSharesOfTheCompanyAndShortfalls) {
  absl::StatusOr<v1::AnalyzeTransactionsResponse> out = sales_->Transactions(Q3(), false);
  ASSERT_TRUE(Ok(out));
  EXPECT_EQ(out->period(), "2026-Q3");
  EXPECT_EQ(out->company_revenue().minor_units(), kCompany);  // the archived Ghost left out
  EXPECT_THAT(AccountIds(out->rows()), ElementsAre(1, 2, 3, 4, 6, 5));

  const v1::TransactionRow& acme = out->rows(0);
  EXPECT_EQ(acme.revenue().minor_units(), kAcme);
  ASSERT_EQ(acme.months_size(), 3);
  EXPECT_EQ(acme.months(0).month(), "2026-07");
  EXPECT_EQ(acme.months(0).revenue().minor_units(), 4'000'000);
  EXPECT_EQ(acme.months(1).month(), "2026-08");
  EXPECT_EQ(acme.months(1).revenue().minor_units(), 2'000'050);
  EXPECT_EQ(acme.months(2).month(), "2026-09");
  EXPECT_EQ(acme.months(2).revenue().minor_units(), 0);
  EXPECT_EQ(acme.months(2).revenue().currency_code(), "CNY");
  // 6,000,050 / 10,000,000 = 60.0005 % < 60.01 % expected: short by 0.0095 %.
  EXPECT_DOUBLE_EQ(acme.share(), 0.600005);
  EXPECT_TRUE(acme.has_target());
  EXPECT_DOUBLE_EQ(acme.expected_share(), 0.6001);
  EXPECT_TRUE(acme.shortfall());
  EXPECT_DOUBLE_EQ(acme.shortfall_share(), 0.6001 - 0.600005);

  // Bolt 25.00025 % >= 20 %.
  EXPECT_TRUE(out->rows(1).has_target());
  EXPECT_FALSE(out->rows(1).shortfall());
  EXPECT_EQ(out->rows(1).shortfall_share(), 0.0);
  // Crane's only target is for 2025.
  EXPECT_FALSE(out->rows(2).has_target());
  EXPECT_FALSE(out->rows(2).shortfall());
  EXPECT_EQ(out->rows(2).expected_share(), 0.0);
  // Dyna: 300,000 / 10,000,000 = 3 % exactly its 300 bp: not short.
  EXPECT_DOUBLE_EQ(out->rows(3).share(), 0.03);
  EXPECT_FALSE(out->rows(3).shortfall());
  // Echo: nothing in Q3 (its October order is outside), 1 % expected.
  const v1::TransactionRow& echo = out->rows(5);
  EXPECT_EQ(echo.revenue().minor_units(), 0);
  ASSERT_EQ(echo.months_size(), 3);
  EXPECT_EQ(echo.months(1).revenue().minor_units(), 0);
  EXPECT_TRUE(echo.shortfall());
  EXPECT_DOUBLE_EQ(echo.shortfall_share(), 0.01);
  EXPECT_EQ(out->shortfalls(), 2);

  absl::StatusOr<v1::AnalyzeTransactionsResponse> short_only = sales_->Transactions(Q3(), true);
  ASSERT_TRUE(Ok(short_only));
  EXPECT_THAT(AccountIds(short_only->rows()), ElementsAre(1, 5));
  EXPECT_EQ(short_only->shortfalls(), 2);
}

TEST_F(SalesAnalysisTest, TransactionsShareIsOfTheWholeCompanyUnderAFilter) {
  v1::AnalysisFilter east;
  east.set_region("East");
  absl::StatusOr<v1::AnalyzeTransactionsResponse> out = sales_->Transactions(Q3(east), false);
  ASSERT_TRUE(Ok(out));
  EXPECT_THAT(AccountIds(out->rows()), ElementsAre(1, 2, 5));
  EXPECT_EQ(out->company_revenue().minor_units(), kCompany);
  // 2,500,025 / 10,000,000, not / 8,500,075 (East's total).
  EXPECT_DOUBLE_EQ(out->rows(1).share(), 0.2500025);

  v1::AnalysisFilter wang;
  wang.set_owner_id("mgr-wang");
  absl::StatusOr<v1::AnalyzeTransactionsResponse> shortfalls = sales_->Transactions(Q3(wang), true);
  ASSERT_TRUE(Ok(shortfalls));
  EXPECT_THAT(shortfalls->rows(), IsEmpty());
  EXPECT_EQ(shortfalls->shortfalls(), 0);
}

TEST_F(SalesAnalysisTest, TransactionsOverAMonthAndAYear) {
  absl::StatusOr<v1::AnalyzeTransactionsResponse> august =
      sales_->Transactions({ParsePeriod("period", "2026-08").value(), {}}, false);
  ASSERT_TRUE(Ok(august));
  // August: Acme 2,000,050 + Crane 1,099,925 + Dyna 100,000 = 3,199,975.
  EXPECT_EQ(august->company_revenue().minor_units(), 3'199'975);
  ASSERT_EQ(august->rows(0).months_size(), 1);
  EXPECT_EQ(august->rows(0).months(0).month(), "2026-08");
  EXPECT_DOUBLE_EQ(august->rows(0).share(), 2'000'050.0 / 3'199'975);

  absl::StatusOr<v1::AnalyzeTransactionsResponse> year =
      sales_->Transactions({ParsePeriod("period", "2026").value(), {}}, false);
  ASSERT_TRUE(Ok(year));
  // 2026: Acme 9,999,999 (June) + 6,000,050 + 8,888,888 (October) = 24,888,937; company adds
  // Bolt 2,500,025, Crane 1,099,925, Dyna 300,000, Echo 5,000, Fargo 100,000 = 28,893,887.
  EXPECT_EQ(year->company_revenue().minor_units(), 28'893'887);
  const v1::TransactionRow& acme = year->rows(0);
  EXPECT_EQ(acme.revenue().minor_units(), 24'888'937);
  ASSERT_EQ(acme.months_size(), 12);
  EXPECT_EQ(acme.months(0).month(), "2026-01");
  EXPECT_EQ(acme.months(5).revenue().minor_units(), 9'999'999);
  EXPECT_EQ(acme.months(9).revenue().minor_units(), 8'888'888);
  EXPECT_EQ(acme.months(11).month(), "2026-12");
}

TEST_F(SalesAnalysisTest, ProductMixOfOneAccount) {
  absl::StatusOr<v1::AnalyzeProductMixResponse> out =
      sales_->ProductMix(ParsePeriod("period", "2026-Q3").value(), 1);
  ASSERT_TRUE(Ok(out));
  EXPECT_EQ(out->period(), "2026-Q3");
  EXPECT_EQ(out->account().name(), "Acme");
  EXPECT_EQ(out->revenue().minor_units(), kAcme);
  ASSERT_EQ(out->products_size(), 3);

  // STEEL-01: 3,000,000 + 1,500,000 = 4,500,000 (cost 2,400,000 + 1,200,000 = 3,600,000,
  // 10 + 5 units); margin 900,000 / 4,500,000 = 0.2; company inventory (1,000,000 +
  // 2,000,000 + 3,000,000) / 3 = 2,000,000 (June left out); turnover 2.25; cross 0.45.
  const v1::ProductRow& steel = out->products(0);
  EXPECT_EQ(steel.product_code(), "STEEL-01");
  EXPECT_EQ(steel.product_category(), "steel plate");  // August's, the latest in Q3
  EXPECT_EQ(steel.rank(), 1);
  EXPECT_EQ(steel.quantity(), 15);
  EXPECT_EQ(steel.revenue().minor_units(), 4'500'000);
  EXPECT_EQ(steel.cost().minor_units(), 3'600'000);
  EXPECT_DOUBLE_EQ(steel.share(), 4'500'000.0 / 6'000'050);
  EXPECT_DOUBLE_EQ(steel.gross_margin_rate(), 0.2);
  EXPECT_TRUE(steel.has_inventory());
  EXPECT_EQ(steel.average_inventory().minor_units(), 2'000'000);
  EXPECT_DOUBLE_EQ(steel.turnover_rate(), 2.25);
  EXPECT_DOUBLE_EQ(steel.cross_ratio(), 0.45);

  // PIPE-02: 1,000,000, cost 600,000 -> margin 0.4; inventory (500,000 + 250,001) / 2 =
  // 375,000.5 -> 375,001 shown; turnover 1,000,000 x 2 / 750,001.
  const v1::ProductRow& pipe = out->products(1);
  EXPECT_EQ(pipe.product_code(), "PIPE-02");
  EXPECT_EQ(pipe.rank(), 2);
  EXPECT_DOUBLE_EQ(pipe.cumulative_share(), 5'500'000.0 / 6'000'050);
  EXPECT_DOUBLE_EQ(pipe.gross_margin_rate(), 0.4);
  EXPECT_EQ(pipe.average_inventory().minor_units(), 375'001);
  EXPECT_DOUBLE_EQ(pipe.turnover_rate(), 2'000'000.0 / 750'001);

  // BOLT-03: sold at cost (margin 0): cross 0, contribution 0.
  const v1::ProductRow& bolt = out->products(2);
  EXPECT_EQ(bolt.product_code(), "BOLT-03");
  EXPECT_EQ(bolt.product_category(), "fastener");
  EXPECT_DOUBLE_EQ(bolt.cumulative_share(), 1.0);
  EXPECT_EQ(bolt.gross_margin_rate(), 0.0);
  EXPECT_EQ(bolt.contribution_ratio(), 0.0);

  // Contribution: cross x share, normalised: steel 0.45 x 4,500,000 / 6,000,050, pipe
  // (0.4 x 2,000,000 / 750,001) x 1,000,000 / 6,000,050.
  const double s = 0.45 * 4'500'000 / 6'000'050;
  const double p = 0.4 * 2'000'000 / 750'001 * 1'000'000 / 6'000'050;
  EXPECT_NEAR(steel.contribution_ratio(), s / (s + p), 1e-12);
  EXPECT_NEAR(pipe.contribution_ratio(), p / (s + p), 1e-12);
}

TEST_F(SalesAnalysisTest, ProductMixOfUnknownArchivedAndQuietAccounts) {
  const Period q3 = ParsePeriod("period", "2026-Q3").value();
  EXPECT_EQ(sales_->ProductMix(q3, 7).status().code(), absl::StatusCode::kNotFound);  // archived
  EXPECT_EQ(sales_->ProductMix(q3, 999).status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<v1::AnalyzeProductMixResponse> echo = sales_->ProductMix(q3, 5);
  ASSERT_TRUE(Ok(echo));
  EXPECT_EQ(echo->account().id(), 5);
  EXPECT_THAT(echo->products(), IsEmpty());
  EXPECT_EQ(echo->revenue().minor_units(), 0);
}

TEST_F(SalesAnalysisTest, ProductsOverEveryAccountLeaveTheArchivedOut) {
  absl::StatusOr<v1::AnalyzeProductsResponse> out = sales_->Products(Q3());
  ASSERT_TRUE(Ok(out));
  // ONLY-ARCH was bought by the archived Ghost only; Ghost's 50,000,000 of STEEL-01 is out.
  std::vector<std::string> codes;
  for (const v1::ProductRow& row : out->rows()) codes.push_back(row.product_code());
  EXPECT_THAT(codes, ElementsAre("STEEL-01", "PIPE-02", "BOLT-03", "GLUE-09"));
  EXPECT_EQ(out->products(), 4);
  // Revenue equals the company's: 5,599,925 + 2,800,025 + 1,500,050 + 100,000; cost
  // 4,600,000 + 1,720,000 + 1,300,050 + 40,000 = 7,660,050.
  EXPECT_EQ(out->revenue().minor_units(), kCompany);
  EXPECT_EQ(out->cost().minor_units(), 7'660'050);

  // STEEL-01: Acme 4,500,000 + Crane 1,099,925 = 5,599,925, 15 + 4 units, cost 4,600,000;
  // margin 999,925 / 5,599,925; turnover 5,599,925 / 2,000,000; cross 999,925 / 2,000,000.
  const v1::ProductRow& steel = out->rows(0);
  EXPECT_EQ(steel.product_category(), "steel plate");  // not October's "steel coil"
  EXPECT_EQ(steel.quantity(), 19);
  EXPECT_EQ(steel.revenue().minor_units(), 5'599'925);
  EXPECT_EQ(steel.cost().minor_units(), 4'600'000);
  EXPECT_DOUBLE_EQ(steel.share(), 0.5599925);
  EXPECT_DOUBLE_EQ(steel.gross_margin_rate(), 999'925.0 / 5'599'925);
  EXPECT_DOUBLE_EQ(steel.turnover_rate(), 5'599'925.0 / 2'000'000);
  EXPECT_DOUBLE_EQ(steel.cross_ratio(), 999'925.0 / 2'000'000);
  // PIPE-02: 1,000,000 + 1,500,025 + 200,000 + 100,000 = 2,800,025 over 20 + 30 + 4 + 2 units.
  EXPECT_EQ(out->rows(1).revenue().minor_units(), 2'800'025);
  EXPECT_EQ(out->rows(1).quantity(), 56);
  EXPECT_DOUBLE_EQ(out->rows(1).cumulative_share(), 0.839995);
  // BOLT-03: 500,050 + 1,000,000, cost 1,300,050: margin 200,000 / 1,500,050; inventory
  // 100,000 (September only): turnover 15.0005, cross 2.
  const v1::ProductRow& bolt = out->rows(2);
  EXPECT_EQ(bolt.revenue().minor_units(), 1'500'050);
  EXPECT_DOUBLE_EQ(bolt.turnover_rate(), 15.0005);
  EXPECT_DOUBLE_EQ(bolt.cross_ratio(), 2.0);
  EXPECT_DOUBLE_EQ(bolt.cumulative_share(), 0.99);
  // GLUE-09: no inventory snapshot.
  const v1::ProductRow& glue = out->rows(3);
  EXPECT_EQ(glue.product_category(), "adhesive");
  EXPECT_FALSE(glue.has_inventory());
  EXPECT_DOUBLE_EQ(glue.gross_margin_rate(), 0.6);
  EXPECT_EQ(glue.contribution_ratio(), 0.0);
  EXPECT_EQ(glue.rank(), 4);
  // The three with inventory sum to 1.
  EXPECT_NEAR(
      steel.contribution_ratio() + out->rows(1).contribution_ratio() + bolt.contribution_ratio(),
      1.0, 1e-12);
  const double s = 999'925.0 / 2'000'000 * 0.5599925;
  const double p = 2'160'050.0 / 750'001 * 0.2800025;
  const double b = 2.0 * 0.150005;
  EXPECT_NEAR(bolt.contribution_ratio(), b / (s + p + b), 1e-12);
}

TEST_F(SalesAnalysisTest, ProductsOfFilteredAccounts) {
  v1::AnalysisFilter wang;
  wang.set_owner_id("mgr-wang");
  absl::StatusOr<v1::AnalyzeProductsResponse> out = sales_->Products(Q3(wang));
  ASSERT_TRUE(Ok(out));
  // Crane's STEEL-01 1,099,925 and Dyna's PIPE-02 200,000 + 100,000; total 1,399,925.
  ASSERT_EQ(out->rows_size(), 2);
  EXPECT_EQ(out->rows(0).product_code(), "STEEL-01");
  EXPECT_EQ(out->rows(0).product_category(), "steel plate");
  EXPECT_EQ(out->rows(0).revenue().minor_units(), 1'099'925);
  EXPECT_EQ(out->rows(0).quantity(), 4);
  EXPECT_DOUBLE_EQ(out->rows(0).share(), 1'099'925.0 / 1'399'925);
  // Inventory stays the company's: 1,099,925 / 2,000,000.
  EXPECT_DOUBLE_EQ(out->rows(0).turnover_rate(), 1'099'925.0 / 2'000'000);
  EXPECT_EQ(out->rows(1).product_code(), "PIPE-02");
  EXPECT_EQ(out->rows(1).product_category(), "pipe");
  EXPECT_EQ(out->rows(1).revenue().minor_units(), 300'000);
  EXPECT_EQ(out->rows(1).cost().minor_units(), 220'000);
  EXPECT_EQ(out->revenue().minor_units(), 1'399'925);

  // Tier A: Acme and Dyna; the archived tier-A Ghost (and its ONLY-ARCH) left out.
  v1::AnalysisFilter tier_a;
  tier_a.set_tier(accounts_v1::TIER_A);
  absl::StatusOr<v1::AnalyzeProductsResponse> a = sales_->Products(Q3(tier_a));
  ASSERT_TRUE(Ok(a));
  std::vector<std::string> codes;
  for (const v1::ProductRow& row : a->rows()) codes.push_back(row.product_code());
  EXPECT_THAT(codes, ElementsAre("STEEL-01", "PIPE-02", "BOLT-03"));
  // 4,500,000 + (1,000,000 + 300,000) + 500,050.
  EXPECT_EQ(a->revenue().minor_units(), 6'300'050);
  EXPECT_EQ(a->rows(1).revenue().minor_units(), 1'300'000);

  // Region and group give the accounts' own products too.
  v1::AnalysisFilter north;
  north.set_region("North");
  EXPECT_EQ(sales_->Products(Q3(north)).value().revenue().minor_units(), 1'399'925);
  v1::AnalysisFilter group;
  group.set_group_id(1);
  EXPECT_EQ(sales_->Products(Q3(group)).value().revenue().minor_units(), 6'300'050);
  v1::AnalysisFilter steel;
  steel.set_industry("Steel");
  EXPECT_EQ(sales_->Products(Q3(steel)).value().revenue().minor_units(), kAcme + kCrane + kDyna);
}

}  // namespace
}  // namespace kam::analytics
