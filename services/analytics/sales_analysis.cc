#include "services/analytics/sales_analysis.h"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace kam::analytics {
namespace {

namespace accounts_v1 = kam::accounts::v1;

constexpr int kBasisPoints = 10000;
constexpr int kDefaultAShareBp = 7500;
constexpr int kDefaultBShareBp = 9500;

// part / total < bp / 10000, exactly (the products overflow int64 for large totals).
bool BelowShare(int64_t part, int64_t total, int64_t bp) {
  return absl::int128(part) * kBasisPoints < absl::int128(bp) * total;
}

bool IsKeyAccount(accounts_v1::Tier tier) {
  return tier == accounts_v1::TIER_A || tier == accounts_v1::TIER_B;
}

v1::AbcClass ClassAfter(int64_t before, int64_t total, int a_share_bp, int b_share_bp) {
  if (BelowShare(before, total, a_share_bp)) return v1::ABC_CLASS_A;
  if (BelowShare(before, total, b_share_bp)) return v1::ABC_CLASS_B;
  return v1::ABC_CLASS_C;
}

// Whether the filter leaves every (unarchived) account in scope.
bool IsEmptyFilter(const v1::AnalysisFilter& f) {
  return f.region().empty() && f.industry().empty() && f.owner_id().empty() && f.group_id() == 0 &&
         f.tier() == accounts_v1::TIER_UNSPECIFIED;
}

// ---- SQL ----

std::unique_ptr<sql::ResultSet> Query(DbConnection& db, const std::string& statement,
                                      const std::vector<SqlParam>& params) {
  sql::PreparedStatement& select = db.Prepare(statement);
  BindAll(select, params);
  return std::unique_ptr<sql::ResultSet>(select.executeQuery());
}

std::vector<SqlParam> MonthRange(const Period& period) {
  return {static_cast<int64_t>(period.first_month), static_cast<int64_t>(period.last_month)};
}

// One row per (account in scope, month of the period with revenue), or one row with revenue
// 0 for an account without any. No GROUP BY: grouping 1M accounts in SQL needs a temp table
// that spills to disk, while rows in primary-key order fold in C++ as they stream. The LEFT
// JOIN keeps accounts first, so the order comes from the primary key without a sort.
const std::string& AccountRevenueSql() {
  static const std::string* const sql = new std::string(absl::StrCat(
      "SELECT ", kAccountRefColumns,
      ", a.nature, a.lifecycle_stage, a.scale, COALESCE(m.revenue_minor, 0) AS revenue_minor"
      " FROM accounts a LEFT JOIN account_month m"
      " ON m.account_id = a.account_id AND m.month BETWEEN ? AND ?"
      " WHERE ",
      kAccountCondition, " ORDER BY a.account_id"));
  return *sql;
}

// As AccountRevenueSql with the month of each row and the account's target for the year
// (NULLs when none).
const std::string& AccountMonthsSql() {
  static const std::string* const sql = new std::string(absl::StrCat(
      "SELECT ", kAccountRefColumns,
      ", t.expected_share_bp, m.month, m.revenue_minor"
      " FROM accounts a"
      " LEFT JOIN account_targets t ON t.account_id = a.account_id AND t.year = ?"
      " LEFT JOIN account_month m ON m.account_id = a.account_id AND m.month BETWEEN ? AND ?"
      " WHERE ",
      kAccountCondition, " ORDER BY a.account_id"));
  return *sql;
}

// The company's revenue: every account analytics knows that is not archived, any filter
// aside. Only run under a filter: unfiltered, the Transactions rows are the company.
constexpr char kCompanyRevenue[] =
    "SELECT CAST(COALESCE(SUM(m.revenue_minor), 0) AS SIGNED) AS revenue"
    " FROM account_month m JOIN accounts a ON a.account_id = m.account_id"
    " WHERE m.month BETWEEN ? AND ? AND a.archived = 0";

const std::string& AccountRefSql() {
  static const std::string* const sql = new std::string(absl::StrCat(
      "SELECT ", kAccountRefColumns, " FROM accounts a WHERE a.account_id = ? AND a.archived = 0"));
  return *sql;
}

// Rows of product sales as (product_code, month, quantity, revenue_minor, cost_minor,
// product_category); FoldProductSales reads them.
constexpr char kAccountProductMonths[] =
    "SELECT apm.product_code, apm.month, apm.quantity, apm.revenue_minor, apm.cost_minor,"
    " COALESCE(p.product_category, '') AS product_category"
    " FROM account_product_month apm LEFT JOIN product_month p"
    " ON p.product_code = apm.product_code AND p.month = apm.month"
    " WHERE apm.account_id = ? AND apm.month BETWEEN ? AND ?";

constexpr char kProductMonths[] =
    "SELECT product_code, month, quantity, revenue_minor, cost_minor, product_category"
    " FROM product_month WHERE month BETWEEN ? AND ?";

// Product sales of the accounts matching `condition`, grouped per product in SQL (a few
// thousand groups: an in-memory temp table).
std::string GroupedProductSalesSql(const std::string& condition) {
  return absl::StrCat(
      "SELECT apm.product_code, 0 AS month, CAST(SUM(apm.quantity) AS SIGNED) AS quantity,"
      " CAST(SUM(apm.revenue_minor) AS SIGNED) AS revenue_minor,"
      " CAST(SUM(apm.cost_minor) AS SIGNED) AS cost_minor, '' AS product_category"
      " FROM accounts a JOIN account_product_month apm"
      " ON apm.account_id = a.account_id AND apm.month BETWEEN ? AND ?"
      " WHERE ",
      condition, " GROUP BY apm.product_code");
}

const std::string& ScopedProductSalesSql() {
  static const std::string* const sql = new std::string(GroupedProductSalesSql(kAccountCondition));
  return *sql;
}

const std::string& ArchivedProductSalesSql() {
  static const std::string* const sql = new std::string(GroupedProductSalesSql("a.archived = 1"));
  return *sql;
}

constexpr char kInventory[] =
    "SELECT product_code, COUNT(*) AS months, CAST(SUM(value_minor) AS SIGNED) AS value_sum"
    " FROM inventory_snapshots WHERE month BETWEEN ? AND ? GROUP BY product_code";

constexpr char kAccountInventory[] =
    "SELECT i.product_code, COUNT(*) AS months, CAST(SUM(i.value_minor) AS SIGNED) AS value_sum"
    " FROM inventory_snapshots i WHERE i.month BETWEEN ? AND ? AND i.product_code IN"
    " (SELECT apm.product_code FROM account_product_month apm"
    " WHERE apm.account_id = ? AND apm.month BETWEEN ? AND ?)"
    " GROUP BY i.product_code";

// ---- Reading ----

// An account in scope with its revenue in the period and the columns composition groups by.
struct AccountSales {
  v1::AccountRef account;
  int nature = 0;
  int lifecycle_stage = 0;
  int scale = 0;
  int64_t revenue = 0;
};

// Every account in scope, in account id order.
absl::StatusOr<std::vector<AccountSales>> ReadAccountSales(DbPool& pool, const Scope& scope) {
  std::vector<SqlParam> params = MonthRange(scope.period);
  Append(params, AccountConditionParams(scope.filter));
  std::vector<AccountSales> accounts;
  absl::Status status = WithConnection(pool, "analytics.account_sales", [&](DbConnection& db) {
    accounts.clear();  // WithConnection repeats the body after a lost connection
    std::unique_ptr<sql::ResultSet> rows = Query(db, AccountRevenueSql(), params);
    while (rows->next()) {
      const int64_t id = rows->getInt64("account_id");
      if (accounts.empty() || accounts.back().account.id() != id) {
        AccountSales& next = accounts.emplace_back();
        ReadAccountRef(*rows, &next.account);
        next.nature = rows->getInt("nature");
        next.lifecycle_stage = rows->getInt("lifecycle_stage");
        next.scale = rows->getInt("scale");
      }
      accounts.back().revenue += rows->getInt64("revenue_minor");
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return accounts;
}

std::vector<RevenueRow> RevenueRows(const std::vector<AccountSales>& accounts) {
  std::vector<RevenueRow> rows;
  rows.reserve(accounts.size());
  for (const AccountSales& a : accounts) rows.push_back({a.account.id(), a.revenue});
  return rows;
}

// Where each of `ranked` is in `accounts` (in id order, from ReadAccountSales), found before
// any account is moved out.
std::vector<size_t> Positions(const std::vector<AccountSales>& accounts,
                              const std::vector<RevenueRow>& ranked) {
  std::vector<size_t> positions;
  positions.reserve(ranked.size());
  for (const RevenueRow& row : ranked) {
    auto it = std::lower_bound(
        accounts.begin(), accounts.end(), row.account_id,
        [](const AccountSales& a, int64_t wanted) { return a.account.id() < wanted; });
    positions.push_back(static_cast<size_t>(it - accounts.begin()));
  }
  return positions;
}

struct AbcClassTotals {
  int32_t customers = 0;
  int64_t revenue = 0;
};

// ---- Composition ----

// The enum value's name ("TIER_A"); "" for UNSPECIFIED (unset), the number for a value this
// build does not know.
std::string EnumKey(const google::protobuf::EnumDescriptor* descriptor, int number) {
  if (number == 0) return "";
  const google::protobuf::EnumValueDescriptor* value = descriptor->FindValueByNumber(number);
  return value != nullptr ? value->name() : absl::StrCat(number);
}

std::string ClassKey(const AccountSales& a, v1::Dimension dimension) {
  switch (dimension) {
    case v1::DIMENSION_NATURE:
      return EnumKey(accounts_v1::Nature_descriptor(), a.nature);
    case v1::DIMENSION_TIER:
      return EnumKey(accounts_v1::Tier_descriptor(), a.account.tier());
    case v1::DIMENSION_LIFECYCLE:
      return EnumKey(accounts_v1::LifecycleStage_descriptor(), a.lifecycle_stage);
    case v1::DIMENSION_SCALE:
      return EnumKey(accounts_v1::Scale_descriptor(), a.scale);
    case v1::DIMENSION_INDUSTRY:
      return a.account.industry();
    case v1::DIMENSION_REGION:
      return a.account.region();
    case v1::DIMENSION_OWNER:
      return a.account.owner_id();
    default:
      return "";
  }
}

struct ClassTotals {
  int32_t customers = 0;
  int64_t revenue = 0;
  int32_t key_accounts = 0;
  int64_t key_account_revenue = 0;
  int order = 0;  // position in the response's class list
};

// The accounts split by one dimension.
struct Classed {
  std::map<std::string, ClassTotals> classes;
  std::vector<const ClassTotals*> class_of;  // per account, in `accounts` order
  std::vector<std::string> keys;             // likewise
  int64_t total = 0;
  int32_t key_accounts = 0;
  int64_t key_account_revenue = 0;
};

Classed ClassifyAccounts(const std::vector<AccountSales>& accounts, v1::Dimension dimension) {
  Classed out;
  out.keys.reserve(accounts.size());
  for (const AccountSales& a : accounts) {
    ClassTotals& c = out.classes[out.keys.emplace_back(ClassKey(a, dimension))];
    ++c.customers;
    c.revenue += a.revenue;
    out.total += a.revenue;
    if (!IsKeyAccount(a.account.tier())) continue;
    ++c.key_accounts;
    c.key_account_revenue += a.revenue;
    ++out.key_accounts;
    out.key_account_revenue += a.revenue;
  }
  out.class_of.reserve(accounts.size());
  for (const std::string& key : out.keys) out.class_of.push_back(&out.classes[key]);
  return out;
}

// Classes by revenue, largest first, ties by key; numbers each class's `order`.
void FillCompositionClasses(Classed& classed, const std::string& currency,
                            v1::AnalyzeCompositionResponse* response) {
  std::vector<std::pair<const std::string*, ClassTotals*>> ordered;
  for (auto& [key, totals] : classed.classes) ordered.emplace_back(&key, &totals);
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& x, const auto& y) {
    return x.second->revenue > y.second->revenue;
  });
  for (size_t i = 0; i < ordered.size(); ++i) {
    ClassTotals& c = *ordered[i].second;
    c.order = static_cast<int>(i);
    v1::CompositionClass* out = response->add_classes();
    out->set_key(*ordered[i].first);
    out->set_customers(c.customers);
    *out->mutable_revenue() = MakeMoney(c.revenue, currency);
    out->set_share(Ratio(c.revenue, classed.total));
    out->set_key_accounts(c.key_accounts);
    *out->mutable_key_account_revenue() = MakeMoney(c.key_account_revenue, currency);
  }
  *response->mutable_total_revenue() = MakeMoney(classed.total, currency);
  response->set_key_accounts(classed.key_accounts);
  response->set_key_account_share(Ratio(classed.key_account_revenue, classed.total));
}

// Rows by class order, then revenue (largest first), then account id. Moves the accounts'
// refs into the rows.
void FillCompositionRows(std::vector<AccountSales>& accounts, const Classed& classed,
                         const std::string& currency, v1::AnalyzeCompositionResponse* response) {
  std::vector<size_t> order(accounts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    const int cx = classed.class_of[x]->order, cy = classed.class_of[y]->order;
    if (cx != cy) return cx < cy;
    if (accounts[x].revenue != accounts[y].revenue) {
      return accounts[x].revenue > accounts[y].revenue;
    }
    return accounts[x].account.id() < accounts[y].account.id();
  });
  for (size_t i : order) {
    v1::CompositionRow* row = response->add_rows();
    *row->mutable_account() = std::move(accounts[i].account);
    row->set_class_key(classed.keys[i]);
    *row->mutable_revenue() = MakeMoney(accounts[i].revenue, currency);
    row->set_share_in_class(Ratio(accounts[i].revenue, classed.class_of[i]->revenue));
  }
}

// ---- Transactions ----

struct AccountMonths {
  v1::AccountRef account;
  bool has_target = false;
  int64_t expected_share_bp = 0;
  std::vector<int64_t> months;  // one per month of the period
  int64_t revenue = 0;
};

// Every account in scope, in account id order.
std::vector<AccountMonths> ReadAccountMonths(DbConnection& db, const Scope& scope) {
  std::vector<SqlParam> params = {static_cast<int64_t>(scope.period.year())};
  Append(params, MonthRange(scope.period));
  Append(params, AccountConditionParams(scope.filter));
  const int month_count = scope.period.MonthCount();
  std::vector<AccountMonths> accounts;
  std::unique_ptr<sql::ResultSet> rows = Query(db, AccountMonthsSql(), params);
  while (rows->next()) {
    const int64_t id = rows->getInt64("account_id");
    if (accounts.empty() || accounts.back().account.id() != id) {
      AccountMonths& next = accounts.emplace_back();
      ReadAccountRef(*rows, &next.account);
      next.has_target = !rows->isNull("expected_share_bp");
      next.expected_share_bp = rows->getInt64("expected_share_bp");
      next.months.assign(month_count, 0);
    }
    if (rows->isNull("month")) continue;
    AccountMonths& current = accounts.back();
    const int64_t revenue = rows->getInt64("revenue_minor");
    current.months[MonthsBetween(scope.period.first_month, rows->getInt("month"))] += revenue;
    current.revenue += revenue;
  }
  return accounts;
}

int64_t ReadCompanyRevenue(DbConnection& db, const Period& period) {
  std::unique_ptr<sql::ResultSet> row = Query(db, kCompanyRevenue, MonthRange(period));
  return row->next() ? row->getInt64("revenue") : 0;
}

int64_t TotalRevenue(const std::vector<AccountMonths>& accounts) {
  int64_t total = 0;
  for (const AccountMonths& a : accounts) total += a.revenue;
  return total;
}

// Shares compared exactly: revenue / company < bp / 10000. Without company revenue every
// share is 0, so any positive target is missed.
bool IsShortfall(const AccountMonths& a, int64_t company_revenue) {
  if (!a.has_target) return false;
  if (company_revenue == 0) return a.expected_share_bp > 0;
  return BelowShare(a.revenue, company_revenue, a.expected_share_bp);
}

// "YYYY-MM" for each month of the period, formatted once for all rows.
std::vector<std::string> MonthLabels(const Period& period) {
  std::vector<std::string> labels;
  for (int month : period.Months()) labels.push_back(MonthLabel(month));
  return labels;
}

void FillTransactionRow(AccountMonths& a, const std::vector<std::string>& month_labels,
                        int64_t company_revenue, const std::string& currency,
                        v1::TransactionRow* row) {
  *row->mutable_account() = std::move(a.account);
  *row->mutable_revenue() = MakeMoney(a.revenue, currency);
  row->mutable_months()->Reserve(static_cast<int>(a.months.size()));
  for (size_t i = 0; i < a.months.size(); ++i) {
    v1::MonthRevenue* month = row->add_months();
    month->set_month(month_labels[i]);
    *month->mutable_revenue() = MakeMoney(a.months[i], currency);
  }
  row->set_share(Ratio(a.revenue, company_revenue));
  row->set_has_target(a.has_target);
  row->set_expected_share(static_cast<double>(a.expected_share_bp) / kBasisPoints);
  row->set_shortfall(IsShortfall(a, company_revenue));
  if (row->shortfall()) row->set_shortfall_share(row->expected_share() - row->share());
}

// ---- Products ----

using ProductMap = std::map<std::string, ProductFigures>;

// Adds `sign` x each row's sales to its product; the category is the one recorded for the
// latest month read (grouped rows carry month 0 and no category).
void FoldProductSales(sql::ResultSet& rows, int64_t sign, ProductMap& products,
                      std::map<std::string, int>& category_months) {
  while (rows.next()) {
    const std::string code = rows.getString("product_code");
    ProductFigures& p = products[code];
    p.product_code = code;
    p.quantity += sign * rows.getInt64("quantity");
    p.revenue += sign * rows.getInt64("revenue_minor");
    p.cost += sign * rows.getInt64("cost_minor");
    const int month = rows.getInt("month");
    std::string category = rows.getString("product_category");
    if (!category.empty() && month >= category_months[code]) {
      category_months[code] = month;
      p.product_category = std::move(category);
    }
  }
}

void FoldInventory(sql::ResultSet& rows, ProductMap& products) {
  while (rows.next()) {
    auto it = products.find(rows.getString("product_code"));
    if (it == products.end()) continue;
    it->second.inventory_months = rows.getInt64("months");
    it->second.inventory_sum = rows.getInt64("value_sum");
  }
}

// Products the set bought in the period (net of anything subtracted).
std::vector<ProductFigures> SoldProducts(ProductMap& products) {
  std::vector<ProductFigures> sold;
  for (auto& [code, p] : products) {
    if (p.quantity > 0) sold.push_back(std::move(p));
  }
  return sold;
}

// Every account unfiltered: the per-product rollup minus the archived accounts' purchases
// (archived accounts are left out everywhere; they are few, the rollup is small). A filter:
// the accounts' own rows. Categories always come from the per-product rollup.
ProductMap ReadScopeProducts(DbConnection& db, const Scope& scope) {
  ProductMap products;
  std::map<std::string, int> category_months;
  const std::vector<SqlParam> months = MonthRange(scope.period);
  std::unique_ptr<sql::ResultSet> rollup = Query(db, kProductMonths, months);
  const bool everyone = IsEmptyFilter(scope.filter);
  if (everyone) {
    FoldProductSales(*rollup, 1, products, category_months);
    FoldProductSales(*Query(db, ArchivedProductSalesSql(), months), -1, products, category_months);
  } else {
    ProductMap categories;
    FoldProductSales(*rollup, 0, categories, category_months);
    std::vector<SqlParam> params = months;
    Append(params, AccountConditionParams(scope.filter));
    FoldProductSales(*Query(db, ScopedProductSalesSql(), params), 1, products, category_months);
    for (auto& [code, p] : products) p.product_category = categories[code].product_category;
  }
  FoldInventory(*Query(db, kInventory, months), products);
  return products;
}

}  // namespace

// ---- Pure rules ----

void SortByRevenue(std::vector<RevenueRow>& rows) {
  std::sort(rows.begin(), rows.end(), [](const RevenueRow& x, const RevenueRow& y) {
    if (x.revenue != y.revenue) return x.revenue > y.revenue;
    return x.account_id < y.account_id;
  });
}

std::vector<AbcAssignment> ClassifyAbc(const std::vector<RevenueRow>& rows, int a_share_bp,
                                       int b_share_bp) {
  int64_t total = 0;
  for (const RevenueRow& row : rows) total += row.revenue;
  std::vector<AbcAssignment> out(rows.size());
  int64_t before = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const bool tie = i > 0 && rows[i].revenue == rows[i - 1].revenue;
    AbcAssignment& a = out[i];
    a.rank = tie ? out[i - 1].rank : static_cast<int32_t>(i + 1);
    if (rows[i].revenue <= 0) {
      a.abc_class = v1::ABC_CLASS_C;
    } else if (tie) {
      a.abc_class = out[i - 1].abc_class;
    } else {
      a.abc_class = ClassAfter(before, total, a_share_bp, b_share_bp);
    }
    before += rows[i].revenue;
    a.share = Ratio(rows[i].revenue, total);
    a.cumulative_share = Ratio(before, total);
  }
  return out;
}

double ParetoTop20Share(const std::vector<RevenueRow>& rows) {
  int64_t total = 0;
  size_t with_revenue = 0;
  for (const RevenueRow& row : rows) {
    if (row.revenue <= 0) continue;
    total += row.revenue;
    ++with_revenue;
  }
  const size_t top = (with_revenue + 4) / 5;  // ceil(20 %)
  int64_t top_revenue = 0;
  for (size_t i = 0; i < top; ++i) top_revenue += rows[i].revenue;
  return Ratio(top_revenue, total);
}

absl::StatusOr<v1::AbcThresholds> CheckAbcThresholds(const v1::AbcThresholds& thresholds) {
  v1::AbcThresholds out = thresholds;
  if (out.a_share_bp() == 0) out.set_a_share_bp(kDefaultAShareBp);
  if (out.b_share_bp() == 0) out.set_b_share_bp(kDefaultBShareBp);
  if (out.a_share_bp() < 1 || out.a_share_bp() >= kBasisPoints) {
    return InvalidField("thresholds.a_share_bp", "must be 1-9999 basis points (0: 7500)");
  }
  if (out.b_share_bp() < 1 || out.b_share_bp() > kBasisPoints) {
    return InvalidField("thresholds.b_share_bp", "must be 1-10000 basis points (0: 9500)");
  }
  if (out.b_share_bp() <= out.a_share_bp()) {
    return InvalidField("thresholds.b_share_bp",
                        absl::StrCat("must be above thresholds.a_share_bp (", out.a_share_bp(),
                                     "); got ", out.b_share_bp()));
  }
  return out;
}

std::vector<v1::ProductRow> RankProducts(std::vector<ProductFigures> products,
                                         const std::string& currency) {
  std::sort(products.begin(), products.end(), [](const ProductFigures& x, const ProductFigures& y) {
    if (x.revenue != y.revenue) return x.revenue > y.revenue;
    return x.product_code < y.product_code;
  });
  int64_t total = 0;
  for (const ProductFigures& p : products) total += p.revenue;
  std::vector<v1::ProductRow> rows(products.size());
  int64_t cumulative = 0;
  double contribution_sum = 0;
  for (size_t i = 0; i < products.size(); ++i) {
    const ProductFigures& p = products[i];
    v1::ProductRow& row = rows[i];
    const bool tie = i > 0 && p.revenue == products[i - 1].revenue;
    row.set_rank(tie ? rows[i - 1].rank() : static_cast<int32_t>(i + 1));
    row.set_product_code(p.product_code);
    row.set_product_category(p.product_category);
    row.set_quantity(p.quantity);
    *row.mutable_revenue() = MakeMoney(p.revenue, currency);
    *row.mutable_cost() = MakeMoney(p.cost, currency);
    cumulative += p.revenue;
    row.set_share(Ratio(p.revenue, total));
    row.set_cumulative_share(Ratio(cumulative, total));
    row.set_gross_margin_rate(Ratio(p.revenue - p.cost, p.revenue));
    row.set_has_inventory(p.inventory_months > 0);
    if (!row.has_inventory()) continue;
    // Half up: (2 x sum + months) / (2 x months); values are >= 0.
    const int64_t average = (2 * p.inventory_sum + p.inventory_months) / (2 * p.inventory_months);
    *row.mutable_average_inventory() = MakeMoney(average, currency);
    row.set_turnover_rate(p.inventory_sum > 0 ? static_cast<double>(p.revenue) *
                                                    static_cast<double>(p.inventory_months) /
                                                    static_cast<double>(p.inventory_sum)
                                              : 0.0);
    row.set_cross_ratio(row.gross_margin_rate() * row.turnover_rate());
    row.set_contribution_ratio(row.cross_ratio() * row.share());
    contribution_sum += row.contribution_ratio();
  }
  for (v1::ProductRow& row : rows) {
    row.set_contribution_ratio(contribution_sum > 0 ? row.contribution_ratio() / contribution_sum
                                                    : 0.0);
  }
  return rows;
}

// ---- The analyses ----

absl::StatusOr<v1::AnalyzeAbcResponse> SalesAnalyses::Abc(const Scope& scope,
                                                          const v1::AbcThresholds& thresholds) {
  absl::StatusOr<std::vector<AccountSales>> accounts = ReadAccountSales(pool_, scope);
  if (!accounts.ok()) return accounts.status();
  std::vector<RevenueRow> ranked = RevenueRows(*accounts);
  SortByRevenue(ranked);
  const std::vector<AbcAssignment> classes =
      ClassifyAbc(ranked, thresholds.a_share_bp(), thresholds.b_share_bp());
  const std::vector<size_t> positions = Positions(*accounts, ranked);

  v1::AnalyzeAbcResponse response;
  response.set_period(scope.period.label);
  response.set_customers(static_cast<int32_t>(ranked.size()));
  response.set_pareto_top20_share(ParetoTop20Share(ranked));
  std::array<AbcClassTotals, 3> totals;
  int64_t total = 0;
  for (size_t i = 0; i < ranked.size(); ++i) {
    v1::AbcRow* row = response.add_rows();
    *row->mutable_account() = std::move((*accounts)[positions[i]].account);
    row->set_rank(classes[i].rank);
    *row->mutable_revenue() = MakeMoney(ranked[i].revenue, config_.currency);
    row->set_share(classes[i].share);
    row->set_cumulative_share(classes[i].cumulative_share);
    row->set_abc_class(classes[i].abc_class);
    AbcClassTotals& t = totals[classes[i].abc_class - v1::ABC_CLASS_A];
    ++t.customers;
    t.revenue += ranked[i].revenue;
    total += ranked[i].revenue;
  }
  *response.mutable_total_revenue() = MakeMoney(total, config_.currency);
  for (int c = 0; c < 3; ++c) {
    v1::AbcClassSummary* summary = response.add_classes();
    summary->set_abc_class(static_cast<v1::AbcClass>(v1::ABC_CLASS_A + c));
    summary->set_customers(totals[c].customers);
    *summary->mutable_revenue() = MakeMoney(totals[c].revenue, config_.currency);
    summary->set_share(Ratio(totals[c].revenue, total));
  }
  return response;
}

absl::StatusOr<v1::AnalyzeCompositionResponse> SalesAnalyses::Composition(const Scope& scope,
                                                                          v1::Dimension dimension) {
  absl::StatusOr<std::vector<AccountSales>> accounts = ReadAccountSales(pool_, scope);
  if (!accounts.ok()) return accounts.status();
  Classed classed = ClassifyAccounts(*accounts, dimension);
  v1::AnalyzeCompositionResponse response;
  response.set_period(scope.period.label);
  response.set_dimension(dimension);
  FillCompositionClasses(classed, config_.currency, &response);
  FillCompositionRows(*accounts, classed, config_.currency, &response);
  return response;
}

absl::StatusOr<v1::AnalyzeTransactionsResponse> SalesAnalyses::Transactions(const Scope& scope,
                                                                            bool shortfalls_only) {
  std::vector<AccountMonths> accounts;
  int64_t company_revenue = 0;
  absl::Status status = WithConnection(pool_, "analytics.transactions", [&](DbConnection& db) {
    accounts = ReadAccountMonths(db, scope);
    // Unfiltered, the rows are the company (and the total is then consistent with them).
    company_revenue =
        IsEmptyFilter(scope.filter) ? TotalRevenue(accounts) : ReadCompanyRevenue(db, scope.period);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  std::sort(accounts.begin(), accounts.end(), [](const AccountMonths& x, const AccountMonths& y) {
    if (x.revenue != y.revenue) return x.revenue > y.revenue;
    return x.account.id() < y.account.id();
  });

  v1::AnalyzeTransactionsResponse response;
  response.set_period(scope.period.label);
  *response.mutable_company_revenue() = MakeMoney(company_revenue, config_.currency);
  const std::vector<std::string> month_labels = MonthLabels(scope.period);
  int32_t shortfalls = 0;
  for (AccountMonths& a : accounts) {
    const bool shortfall = IsShortfall(a, company_revenue);
    if (shortfall) ++shortfalls;
    if (shortfalls_only && !shortfall) continue;
    FillTransactionRow(a, month_labels, company_revenue, config_.currency, response.add_rows());
  }
  response.set_shortfalls(shortfalls);
  return response;
}

absl::StatusOr<v1::AnalyzeProductMixResponse> SalesAnalyses::ProductMix(const Period& period,
                                                                        int64_t account_id) {
  v1::AnalyzeProductMixResponse response;
  ProductMap products;
  bool found = false;
  absl::Status status = WithConnection(pool_, "analytics.product_mix", [&](DbConnection& db) {
    products.clear();  // WithConnection repeats the body after a lost connection
    std::unique_ptr<sql::ResultSet> account = Query(db, AccountRefSql(), {account_id});
    found = account->next();
    if (!found) return absl::OkStatus();
    ReadAccountRef(*account, response.mutable_account());
    std::vector<SqlParam> params = {account_id};
    Append(params, MonthRange(period));
    std::map<std::string, int> category_months;
    FoldProductSales(*Query(db, kAccountProductMonths, params), 1, products, category_months);
    std::vector<SqlParam> inventory = MonthRange(period);
    Append(inventory, params);
    FoldInventory(*Query(db, kAccountInventory, inventory), products);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError(absl::StrCat("account ", account_id, " not found"));

  response.set_period(period.label);
  int64_t revenue = 0;
  for (v1::ProductRow& row : RankProducts(SoldProducts(products), config_.currency)) {
    revenue += row.revenue().minor_units();
    *response.add_products() = std::move(row);
  }
  *response.mutable_revenue() = MakeMoney(revenue, config_.currency);
  return response;
}

absl::StatusOr<v1::AnalyzeProductsResponse> SalesAnalyses::Products(const Scope& scope) {
  ProductMap products;
  absl::Status status = WithConnection(pool_, "analytics.products", [&](DbConnection& db) {
    products = ReadScopeProducts(db, scope);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;

  v1::AnalyzeProductsResponse response;
  response.set_period(scope.period.label);
  int64_t revenue = 0, cost = 0;
  for (v1::ProductRow& row : RankProducts(SoldProducts(products), config_.currency)) {
    revenue += row.revenue().minor_units();
    cost += row.cost().minor_units();
    *response.add_rows() = std::move(row);
  }
  response.set_products(response.rows_size());
  *response.mutable_revenue() = MakeMoney(revenue, config_.currency);
  *response.mutable_cost() = MakeMoney(cost, config_.currency);
  return response;
}

}  // namespace kam::analytics
