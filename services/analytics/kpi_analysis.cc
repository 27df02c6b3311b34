#include "services/analytics/kpi_analysis.h"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/proto_support.h"

// Each analysis is a few set-based SELECTs over the facts joined to `accounts a` (filtered by
// kAccountCondition), whose rows are tallied in C++: no query per account or per owner.
namespace kam::analytics {
namespace {

// Enum numbers as the facts store them (kam.accounts.v1 and kam.complaints.v1).
constexpr int kTierA = 1;
constexpr int kTierB = 2;
constexpr int kOpenStages = 6;  // CUSTOMER_DEVELOPMENT (1) .. IMPLEMENTATION (6)
constexpr int kStageWon = 7;
constexpr int kStageLost = 8;

constexpr double kMicrosPerHour = 3600e6;
constexpr double kMicrosPerDay = 86400e6;

bool IsKeyTier(int tier) { return tier == kTierA || tier == kTierB; }
bool IsOpenStage(int stage) { return stage >= 1 && stage <= kOpenStages; }

SqlParam Month(int month_key) { return static_cast<int64_t>(month_key); }

absl::Time MonthStart(int month_key, absl::TimeZone zone) {
  return absl::FromCivil(absl::CivilMonth(month_key / 100, month_key % 100), zone);
}

// The statement's placeholders in order: `before`, the filter's (kAccountCondition), `after`.
std::vector<SqlParam> Params(std::vector<SqlParam> before, const v1::AnalysisFilter& filter,
                             const std::vector<SqlParam>& after = {}) {
  Append(before, AccountConditionParams(filter));
  Append(before, after);
  return before;
}

void ForEachRow(DbConnection& db, const std::string& sql, const std::vector<SqlParam>& params,
                const std::function<void(const sql::ResultSet&)>& each) {
  sql::PreparedStatement& statement = db.Prepare(sql);
  BindAll(statement, params);
  std::unique_ptr<sql::ResultSet> rows(statement.executeQuery());
  while (rows->next()) each(*rows);
}

// SUM() over BIGINT is DECIMAL: read its digits exactly.
absl::int128 ReadSum(const sql::ResultSet& row, const char* column) {
  absl::int128 value = 0;
  if (row.isNull(column)) return 0;
  const std::string text = row.getString(column);
  return absl::SimpleAtoi(text, &value) ? value : 0;
}

// Money sums fit int64 (they are sums of int64 amounts the producers accepted).
int64_t ToMinor(absl::int128 value) { return static_cast<int64_t>(value); }

// amount x probability_percent summed, as minor units (one rounding, at the end).
int64_t WeightedMinor(absl::int128 amount_times_percent) {
  return ToMinor(RoundedQuotient(amount_times_percent, 100));
}

const std::string& RetentionMonthsSql() {
  static const std::string sql = absl::StrCat(
      "SELECT m.account_id, a.tier, m.month, m.orders, m.revenue_minor FROM account_month m"
      " JOIN accounts a ON a.account_id = m.account_id WHERE m.month BETWEEN ? AND ? AND ",
      kAccountCondition);
  return sql;
}

const std::string& NewCustomersSql() {
  static const std::string sql = absl::StrCat(
      "SELECT act.first_order_month, COUNT(*) AS customers FROM account_activity act"
      " JOIN accounts a ON a.account_id = act.account_id"
      " WHERE act.first_order_month BETWEEN ? AND ? AND ",
      kAccountCondition, " GROUP BY act.first_order_month");
  return sql;
}

const std::string& WalletsSql() {
  static const std::string sql = absl::StrCat(
      "SELECT t.account_id, t.wallet_estimate_minor FROM account_targets t"
      " JOIN accounts a ON a.account_id = t.account_id"
      " WHERE t.year = ? AND t.wallet_estimate_minor > 0 AND ",
      kAccountCondition);
  return sql;
}

const std::string& AtRiskSql() {
  static const std::string sql = absl::StrCat(
      "SELECT ", kAccountRefColumns, ", a.create_time, act.last_order_time FROM accounts a",
      " LEFT JOIN account_activity act ON act.account_id = a.account_id",
      // Never ordered: counted from the creation, so an account created after the cutoff is
      // not at risk yet.
      " WHERE a.tier = ? AND COALESCE(act.last_order_time, a.create_time) < ? AND ",
      kAccountCondition);
  return sql;
}

// One account's orders in the period and in the previous one.
struct CustomerOrders {
  int tier = 0;
  int64_t orders_now = 0;
  int64_t orders_before = 0;
  int64_t revenue_now = 0;
};

struct RetentionTally {
  std::unordered_map<int64_t, CustomerOrders> customers;
  int64_t orders = 0;
  int64_t revenue = 0;
};

void CountRetention(const RetentionTally& tally, v1::AnalyzeRetentionResponse* out) {
  int base = 0, previous = 0, retained = 0, previous_key = 0, retained_key = 0;
  for (const auto& [id, c] : tally.customers) {
    const bool now = c.orders_now > 0;
    base += now;
    if (c.orders_before <= 0) continue;
    previous += 1;
    retained += now;
    if (!IsKeyTier(c.tier)) continue;
    previous_key += 1;
    retained_key += now;
  }
  out->set_customer_base(base);
  out->set_previous_customers(previous);
  out->set_retained_customers(retained);
  out->set_retention_rate(Ratio(retained, previous));
  // Without customers in the previous period there is nothing to lose: churn 0, not 1.
  out->set_churn_rate(previous > 0 ? 1.0 - out->retention_rate() : 0.0);
  out->set_previous_key_customers(previous_key);
  out->set_retained_key_customers(retained_key);
  out->set_key_retention_rate(Ratio(retained_key, previous_key));
  out->set_purchase_frequency(Ratio(tally.orders, base));
}

struct AtRiskRow {
  v1::AtRiskAccount proto;
  bool ordered = false;
  absl::Time last_order;
};

// Never ordered first, then the oldest last order; ties by account id.
void SortAtRisk(std::vector<AtRiskRow>& rows) {
  std::sort(rows.begin(), rows.end(), [](const AtRiskRow& x, const AtRiskRow& y) {
    if (x.ordered != y.ordered) return !x.ordered;
    if (x.ordered && x.last_order != y.last_order) return x.last_order < y.last_order;
    return x.proto.account().id() < y.proto.account().id();
  });
}

struct RetentionFacts {
  RetentionTally tally;
  std::map<int, int> new_by_month;
  int wallet_accounts = 0;
  absl::int128 wallet_estimates = 0;
  int64_t wallet_revenue = 0;
  std::vector<AtRiskRow> at_risk;
};

// Orders and revenue per account over the previous period and this one (contiguous).
void ReadCustomerOrders(DbConnection& db, const Scope& scope, RetentionFacts& facts) {
  const Period& period = scope.period;
  RetentionTally& tally = facts.tally;
  ForEachRow(db, RetentionMonthsSql(),
             Params({Month(period.Previous().first_month), Month(period.last_month)}, scope.filter),
             [&](const sql::ResultSet& row) {
               CustomerOrders& c = tally.customers[row.getInt64("account_id")];
               c.tier = row.getInt("tier");
               const int64_t orders = row.getInt64("orders");
               if (row.getInt("month") < period.first_month) {
                 c.orders_before += orders;
                 return;
               }
               const int64_t revenue = row.getInt64("revenue_minor");
               c.orders_now += orders;
               c.revenue_now += revenue;
               tally.orders += orders;
               tally.revenue += revenue;
             });
}

void ReadNewCustomers(DbConnection& db, const Scope& scope, RetentionFacts& facts) {
  ForEachRow(
      db, NewCustomersSql(),
      Params({Month(scope.period.first_month), Month(scope.period.last_month)}, scope.filter),
      [&](const sql::ResultSet& row) {
        facts.new_by_month[row.getInt("first_order_month")] = row.getInt("customers");
      });
}

// After ReadCustomerOrders: an account's revenue comes from its tally.
void ReadWallets(DbConnection& db, const Scope& scope, RetentionFacts& facts) {
  ForEachRow(db, WalletsSql(), Params({static_cast<int64_t>(scope.period.year())}, scope.filter),
             [&](const sql::ResultSet& row) {
               facts.wallet_accounts += 1;
               facts.wallet_estimates += row.getInt64("wallet_estimate_minor");
               const auto& customers = facts.tally.customers;
               auto it = customers.find(row.getInt64("account_id"));
               if (it != customers.end()) facts.wallet_revenue += it->second.revenue_now;
             });
}

void ReadAtRisk(DbConnection& db, const Scope& scope, absl::TimeZone zone, int at_risk_months,
                RetentionFacts& facts) {
  const int last_month = scope.period.last_month;
  // At risk: the last order's month is at_risk_months or more before the period's last
  // month, i.e. the last order came before the start of the month after that one. An account
  // that never ordered counts from its creation the same way.
  const absl::Time before = MonthStart(AddMonths(last_month, 1 - at_risk_months), zone);
  ForEachRow(
      db, AtRiskSql(), Params({static_cast<int64_t>(kTierA), before}, scope.filter),
      [&](const sql::ResultSet& row) {
        AtRiskRow r;
        ReadAccountRef(row, r.proto.mutable_account());
        r.ordered = !row.isNull("last_order_time");
        // Never ordered: counted from the month the account was created.
        const absl::Time since =
            FromSqlTime(row.getString(r.ordered ? "last_order_time" : "create_time"));
        if (r.ordered) {
          r.last_order = since;
          ToTimestamp(since, r.proto.mutable_last_order_time());
        }
        r.proto.set_months_without_orders(MonthsWithoutOrders(MonthKey(since, zone), last_month));
        facts.at_risk.push_back(std::move(r));
      });
}

v1::AnalyzeRetentionResponse RetentionResponse(const Period& period, RetentionFacts& facts,
                                               const std::string& currency) {
  v1::AnalyzeRetentionResponse out;
  out.set_period(period.label);
  out.set_previous_period(period.Previous().label);
  CountRetention(facts.tally, &out);
  int new_customers = 0;
  for (int month : period.Months()) {
    v1::MonthCount* count = out.add_new_customers_by_month();
    count->set_month(MonthLabel(month));
    count->set_count(facts.new_by_month[month]);
    new_customers += count->count();
  }
  out.set_new_customers(new_customers);
  *out.mutable_average_order_value() =
      MakeMoney(ToMinor(RoundedQuotient(facts.tally.revenue, facts.tally.orders)), currency);
  out.set_wallet_accounts(facts.wallet_accounts);
  out.set_share_of_wallet(
      ShareOfWallet(facts.wallet_revenue, facts.wallet_estimates, period.MonthCount()));
  SortAtRisk(facts.at_risk);
  for (AtRiskRow& r : facts.at_risk) *out.add_at_risk() = std::move(r.proto);
  return out;
}

const std::string& OpportunitiesSql() {
  static const std::string sql = absl::StrCat(
      "SELECT o.owner_id, o.stage, o.furthest_stage, o.amount_minor, o.probability_percent,"
      " COALESCE(o.create_month BETWEEN ? AND ?, 0) AS created_in,"
      " COALESCE(o.close_month BETWEEN ? AND ?, 0) AS closed_in,"
      " COALESCE(o.expected_close_time >= ? AND o.expected_close_time < ?, 0) AS closes_in,"
      " COALESCE(TIMESTAMPDIFF(MICROSECOND, o.create_time, o.close_time), 0) AS micros_to_close"
      " FROM opportunity_facts o JOIN accounts a ON a.account_id = o.account_id"
      " WHERE (o.stage BETWEEN 1 AND 6 OR o.create_month BETWEEN ? AND ?"
      " OR o.close_month BETWEEN ? AND ?) AND ",
      kAccountCondition);
  return sql;
}

const std::string& StageStaysSql() {
  static const std::string sql = absl::StrCat(
      "SELECT s.stage, TIMESTAMPDIFF(MICROSECOND, s.entered_time, s.left_time) AS micros"
      " FROM opportunity_stage_stays s"
      " JOIN opportunity_facts o ON o.opportunity_id = s.opportunity_id"
      " JOIN accounts a ON a.account_id = o.account_id"
      " WHERE s.left_month BETWEEN ? AND ? AND s.stage BETWEEN 1 AND 6 AND ",
      kAccountCondition);
  return sql;
}

struct StageTally {
  int reached = 0;
  int open_now = 0;
  std::vector<double> days;  // stays that ended in the period
};

struct OwnerTally {
  int open = 0;
  int64_t pipeline = 0;
  absl::int128 weighted_percent = 0;  // amount x probability_percent, expected in the period
};

struct PipelineTally {
  std::array<StageTally, kOpenStages> stages;
  int won_of_created = 0;  // created in the period and won: the last stage's conversion
  int won = 0;
  int lost = 0;
  int64_t won_amount = 0;
  std::vector<double> days_to_win;
  std::map<std::string, OwnerTally> owners;
};

void TallyOpportunity(const sql::ResultSet& row, PipelineTally& tally) {
  const int stage = row.getInt("stage");
  const int64_t amount = row.getInt64("amount_minor");
  if (row.getInt("created_in") != 0) {
    const int furthest = std::min(row.getInt("furthest_stage"), kOpenStages);
    for (int s = 1; s <= furthest; ++s) tally.stages[s - 1].reached += 1;
    if (stage == kStageWon) tally.won_of_created += 1;
  }
  if (IsOpenStage(stage)) {
    tally.stages[stage - 1].open_now += 1;
    OwnerTally& owner = tally.owners[row.getString("owner_id")];
    owner.open += 1;
    owner.pipeline += amount;
    if (row.getInt("closes_in") != 0) {
      owner.weighted_percent += absl::int128(amount) * row.getInt("probability_percent");
    }
  }
  if (row.getInt("closed_in") == 0) return;
  if (stage == kStageWon) {
    tally.won += 1;
    tally.won_amount += amount;
    tally.days_to_win.push_back(static_cast<double>(row.getInt64("micros_to_close")) /
                                kMicrosPerDay);
  } else if (stage == kStageLost) {
    tally.lost += 1;
  }
}

void FillStages(PipelineTally& tally, v1::AnalyzePipelineResponse* out) {
  for (int s = 1; s <= kOpenStages; ++s) {
    StageTally& stage = tally.stages[s - 1];
    const int next = s < kOpenStages ? tally.stages[s].reached : tally.won_of_created;
    std::sort(stage.days.begin(), stage.days.end());
    v1::StageFigures* figures = out->add_stages();
    figures->set_stage(static_cast<kam::accounts::v1::Stage>(s));
    figures->set_reached(stage.reached);
    figures->set_conversion_to_next(Ratio(next, stage.reached));
    figures->set_mean_days_in_stage(Mean(stage.days));
    figures->set_median_days_in_stage(NearestRank(stage.days, 50));
    figures->set_open_now(stage.open_now);
  }
}

void FillOwners(const PipelineTally& tally, const std::string& currency,
                v1::AnalyzePipelineResponse* out) {
  for (const auto& [owner_id, owner] : tally.owners) {
    v1::OwnerForecast* forecast = out->add_owners();
    forecast->set_owner_id(owner_id);
    forecast->set_open_opportunities(owner.open);
    *forecast->mutable_pipeline() = MakeMoney(owner.pipeline, currency);
    *forecast->mutable_weighted_forecast() =
        MakeMoney(WeightedMinor(owner.weighted_percent), currency);
  }
  // Largest forecast (as shown) first; the map gave owner id order and the sort is stable.
  std::stable_sort(out->mutable_owners()->begin(), out->mutable_owners()->end(),
                   [](const v1::OwnerForecast& x, const v1::OwnerForecast& y) {
                     return x.weighted_forecast().minor_units() >
                            y.weighted_forecast().minor_units();
                   });
}

v1::AnalyzePipelineResponse PipelineResponse(const Period& period, PipelineTally& tally,
                                             const std::string& currency) {
  v1::AnalyzePipelineResponse out;
  out.set_period(period.label);
  FillStages(tally, &out);
  out.set_won(tally.won);
  out.set_lost(tally.lost);
  out.set_win_rate(Ratio(tally.won, tally.won + tally.lost));
  *out.mutable_won_amount() = MakeMoney(tally.won_amount, currency);
  out.set_mean_days_to_win(Mean(tally.days_to_win));
  FillOwners(tally, currency, &out);
  return out;
}

const std::string& ComplaintRowsSql() {
  static const std::string sql = absl::StrCat(
      "SELECT c.category, c.state, c.account_tier, c.valid IS NOT NULL AS judged,"
      " COALESCE(c.valid, 0) AS valid,"
      " (c.judgment_breached OR c.resolution_breached) AS breached,"
      " c.create_month BETWEEN ? AND ? AS created_in,"
      " COALESCE(c.implemented_time >= ? AND c.implemented_time < ?, 0) AS implemented_in,"
      " COALESCE(TIMESTAMPDIFF(MICROSECOND, c.create_time, c.implemented_time), 0)"
      " AS micros_to_implement,"
      " COALESCE(c.follow_up_time >= ? AND c.follow_up_time < ?, 0) AS followed_up_in,"
      " c.satisfaction_gap"
      " FROM complaint_facts c JOIN accounts a ON a.account_id = c.account_id"
      // Implemented or followed up in the period implies created before its end.
      " WHERE c.create_month <= ?"
      " AND (c.create_month >= ? OR c.implemented_time >= ? OR c.follow_up_time >= ?) AND ",
      kAccountCondition);
  return sql;
}

const std::string& RepeatComplainersSql() {
  static const std::string sql = absl::StrCat(
      "SELECT ", kAccountRefColumns, ", COUNT(*) AS complaints FROM complaint_facts c",
      " JOIN accounts a ON a.account_id = c.account_id WHERE c.create_month BETWEEN ? AND ? AND ",
      kAccountCondition, " GROUP BY ", kAccountRefColumns, " HAVING COUNT(*) >= ?");
  return sql;
}

struct TierTally {
  int complaints = 0;
  int breached = 0;
};

struct ComplaintTally {
  int complaints = 0;
  std::map<std::pair<int, int>, int> cells;  // (category, state)
  int judged = 0;
  int valid = 0;
  std::vector<double> hours_to_resolve;
  std::map<int, TierTally> tiers;
  int follow_ups = 0;
  int gaps = 0;
  int64_t gap_sum = 0;
};

void TallyComplaint(const sql::ResultSet& row, ComplaintTally& tally) {
  if (row.getInt("created_in") != 0) {
    tally.complaints += 1;
    tally.cells[{row.getInt("category"), row.getInt("state")}] += 1;
    if (row.getInt("judged") != 0) {
      tally.judged += 1;
      tally.valid += row.getInt("valid") != 0;
    }
    TierTally& tier = tally.tiers[row.getInt("account_tier")];
    tier.complaints += 1;
    tier.breached += row.getInt("breached") != 0;
  }
  if (row.getInt("implemented_in") != 0) {
    tally.hours_to_resolve.push_back(static_cast<double>(row.getInt64("micros_to_implement")) /
                                     kMicrosPerHour);
  }
  if (row.getInt("followed_up_in") != 0) {
    tally.follow_ups += 1;
    if (!row.isNull("satisfaction_gap")) {
      tally.gaps += 1;
      tally.gap_sum += row.getInt64("satisfaction_gap");
    }
  }
}

void FillComplaints(ComplaintTally& tally, v1::AnalyzeComplaintsResponse* out) {
  out->set_complaints(tally.complaints);
  for (const auto& [cell, count] : tally.cells) {
    v1::CategoryStateCount* counted = out->add_counts();
    counted->set_category(static_cast<kam::complaints::v1::Category>(cell.first));
    counted->set_state(static_cast<kam::complaints::v1::State>(cell.second));
    counted->set_count(count);
  }
  out->set_judged(tally.judged);
  out->set_valid(tally.valid);
  out->set_validity_rate(Ratio(tally.valid, tally.judged));
  std::vector<double>& hours = tally.hours_to_resolve;
  std::sort(hours.begin(), hours.end());
  out->set_resolved(static_cast<int>(hours.size()));
  out->set_mean_hours_to_resolve(Mean(hours));
  out->set_p50_hours_to_resolve(NearestRank(hours, 50));
  out->set_p90_hours_to_resolve(NearestRank(hours, 90));
  // A, B, C, D, then the accounts that had no tier at intake.
  std::vector<std::pair<int, TierTally>> tiers(tally.tiers.begin(), tally.tiers.end());
  std::stable_partition(tiers.begin(), tiers.end(), [](const auto& t) { return t.first != 0; });
  for (const auto& [tier, counts] : tiers) {
    v1::TierBreaches* row = out->add_breaches();
    row->set_tier(static_cast<kam::accounts::v1::Tier>(tier));
    row->set_complaints(counts.complaints);
    row->set_breached(counts.breached);
    row->set_breach_rate(Ratio(counts.breached, counts.complaints));
  }
  out->set_follow_ups(tally.follow_ups);
  out->set_mean_satisfaction_gap(tally.gaps > 0 ? static_cast<double>(tally.gap_sum) / tally.gaps
                                                : 0.0);
}

const std::string& CardAccountsSql() {
  static const std::string sql = absl::StrCat(
      "SELECT a.owner_id, COUNT(*) AS accounts, SUM(a.tier IN (1, 2)) AS key_accounts"
      " FROM accounts a WHERE ",
      kAccountCondition, " GROUP BY a.owner_id");
  return sql;
}

const std::string& CardRevenueSql() {
  static const std::string sql = absl::StrCat(
      "SELECT a.owner_id, SUM(m.revenue_minor) AS revenue, SUM(m.paid_minor) AS paid"
      " FROM account_month m JOIN accounts a ON a.account_id = m.account_id"
      " WHERE m.month BETWEEN ? AND ? AND ",
      kAccountCondition, " GROUP BY a.owner_id");
  return sql;
}

const std::string& CardVisitsSql() {
  static const std::string sql = absl::StrCat(
      "SELECT v.owner_id, COUNT(*) AS planned, SUM(v.status = 2) AS completed,"
      " SUM(v.status = 3) AS cancelled"
      " FROM visit_facts v JOIN accounts a ON a.account_id = v.account_id"
      " WHERE v.planned_month BETWEEN ? AND ? AND ",
      kAccountCondition, " GROUP BY v.owner_id");
  return sql;
}

const std::string& CardOpportunitiesSql() {
  static const std::string sql = absl::StrCat(
      "SELECT a.owner_id, COUNT(*) AS open_count, SUM(o.amount_minor) AS pipeline,"
      " SUM(o.amount_minor * o.probability_percent) AS weighted_percent"
      " FROM opportunity_facts o JOIN accounts a ON a.account_id = o.account_id"
      " WHERE o.stage BETWEEN 1 AND 6 AND ",
      kAccountCondition, " GROUP BY a.owner_id");
  return sql;
}

// Open = not INVALID (2) and not CLOSED (9).
const std::string& CardComplaintsSql() {
  static const std::string sql = absl::StrCat(
      "SELECT a.owner_id, SUM(c.create_month BETWEEN ? AND ?) AS created,"
      " SUM(c.state NOT IN (2, 9)) AS open_count"
      " FROM complaint_facts c JOIN accounts a ON a.account_id = c.account_id"
      " WHERE (c.create_month BETWEEN ? AND ? OR c.state NOT IN (2, 9)) AND ",
      kAccountCondition, " GROUP BY a.owner_id");
  return sql;
}

struct Card {
  v1::ManagerScorecard proto;
  int64_t revenue = 0;
  int64_t collected = 0;
  int64_t pipeline = 0;
  absl::int128 weighted_percent = 0;  // amount x probability_percent over open opportunities
};

// The card's money figures from its exact sums. Collection rate: 0 without revenue.
void FinishCard(Card& card, const std::string& currency) {
  v1::ManagerScorecard& p = card.proto;
  *p.mutable_revenue() = MakeMoney(card.revenue, currency);
  *p.mutable_collected() = MakeMoney(card.collected, currency);
  p.set_collection_rate(card.revenue > 0 ? std::min(1.0, Ratio(card.collected, card.revenue))
                                         : 0.0);
  *p.mutable_pipeline() = MakeMoney(card.pipeline, currency);
  *p.mutable_weighted_pipeline() = MakeMoney(WeightedMinor(card.weighted_percent), currency);
}

// Rows of another query add to the cards of owners of accounts in scope only.
Card* CardOf(std::map<std::string, Card>& cards, const sql::ResultSet& row) {
  auto it = cards.find(row.getString("owner_id"));
  return it == cards.end() ? nullptr : &it->second;
}

// One card per owner of accounts in scope (accounts, key accounts), then each other query's
// rows added to those cards.
void ReadCards(DbConnection& db, const Scope& scope, std::map<std::string, Card>& cards) {
  const SqlParam first = Month(scope.period.first_month);
  const SqlParam last = Month(scope.period.last_month);
  ForEachRow(db, CardAccountsSql(), Params({}, scope.filter), [&](const sql::ResultSet& row) {
    Card& card = cards[row.getString("owner_id")];
    card.proto.set_owner_id(row.getString("owner_id"));
    card.proto.set_accounts(row.getInt("accounts"));
    card.proto.set_key_accounts(static_cast<int>(ReadSum(row, "key_accounts")));
  });
  ForEachRow(db, CardRevenueSql(), Params({first, last}, scope.filter),
             [&](const sql::ResultSet& row) {
               if (Card* card = CardOf(cards, row)) {
                 card->revenue = ToMinor(ReadSum(row, "revenue"));
                 card->collected = ToMinor(ReadSum(row, "paid"));
               }
             });
  ForEachRow(db, CardVisitsSql(), Params({first, last}, scope.filter),
             [&](const sql::ResultSet& row) {
               if (Card* card = CardOf(cards, row)) {
                 card->proto.set_visits_planned(row.getInt("planned"));
                 card->proto.set_visits_completed(static_cast<int>(ReadSum(row, "completed")));
                 card->proto.set_visits_cancelled(static_cast<int>(ReadSum(row, "cancelled")));
               }
             });
  ForEachRow(db, CardOpportunitiesSql(), Params({}, scope.filter), [&](const sql::ResultSet& row) {
    if (Card* card = CardOf(cards, row)) {
      card->proto.set_open_opportunities(row.getInt("open_count"));
      card->pipeline = ToMinor(ReadSum(row, "pipeline"));
      card->weighted_percent = ReadSum(row, "weighted_percent");
    }
  });
  ForEachRow(db, CardComplaintsSql(), Params({first, last, first, last}, scope.filter),
             [&](const sql::ResultSet& row) {
               if (Card* card = CardOf(cards, row)) {
                 card->proto.set_complaints(static_cast<int>(ReadSum(row, "created")));
                 card->proto.set_open_complaints(static_cast<int>(ReadSum(row, "open_count")));
               }
             });
}

}  // namespace

absl::int128 RoundedQuotient(absl::int128 numerator, absl::int128 denominator) {
  if (denominator == 0) return 0;
  if (denominator < 0) {
    numerator = -numerator;
    denominator = -denominator;
  }
  const absl::int128 half_up = (numerator < 0 ? -numerator : numerator) * 2 + denominator;
  const absl::int128 magnitude = half_up / (denominator * 2);
  return numerator < 0 ? -magnitude : magnitude;
}

double NearestRank(const std::vector<double>& sorted, int p) {
  if (sorted.empty()) return 0.0;
  // ceil(p * n / 100) in integers, so that 90 % of 10 is exactly 9.
  const size_t n = sorted.size();
  size_t rank = (static_cast<size_t>(p) * n + 99) / 100;
  rank = std::clamp<size_t>(rank, 1, n);
  return sorted[rank - 1];
}

double Mean(const std::vector<double>& values) {
  if (values.empty()) return 0.0;
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

double ShareOfWallet(int64_t revenue, absl::int128 yearly_estimates, int months) {
  const absl::int128 denominator = yearly_estimates * months;
  if (denominator <= 0) return 0.0;
  return static_cast<double>(absl::int128(revenue) * 12) / static_cast<double>(denominator);
}

int MonthsWithoutOrders(int last_order_month, int period_last_month) {
  return std::max(0, MonthsBetween(last_order_month, period_last_month));
}

absl::StatusOr<v1::AnalyzeRetentionResponse> KpiAnalyses::Retention(const Scope& scope,
                                                                    int at_risk_months) {
  RetentionFacts facts;
  absl::Status status = WithConnection(pool_, "analyze retention", [&](DbConnection& db) {
    facts = RetentionFacts();
    ReadCustomerOrders(db, scope, facts);
    ReadNewCustomers(db, scope, facts);
    ReadWallets(db, scope, facts);
    ReadAtRisk(db, scope, config_.zone, at_risk_months, facts);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return RetentionResponse(scope.period, facts, config_.currency);
}

absl::StatusOr<v1::AnalyzePipelineResponse> KpiAnalyses::Pipeline(const Scope& scope) {
  const Period& period = scope.period;
  const SqlParam first = Month(period.first_month);
  const SqlParam last = Month(period.last_month);
  PipelineTally tally;
  absl::Status status = WithConnection(pool_, "analyze pipeline", [&](DbConnection& db) {
    tally = PipelineTally();
    ForEachRow(db, OpportunitiesSql(),
               Params({first, last, first, last, period.Start(config_.zone),
                       period.End(config_.zone), first, last, first, last},
                      scope.filter),
               [&](const sql::ResultSet& row) { TallyOpportunity(row, tally); });
    ForEachRow(db, StageStaysSql(), Params({first, last}, scope.filter),
               [&](const sql::ResultSet& row) {
                 tally.stages[row.getInt("stage") - 1].days.push_back(
                     static_cast<double>(row.getInt64("micros")) / kMicrosPerDay);
               });
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return PipelineResponse(period, tally, config_.currency);
}

absl::StatusOr<v1::AnalyzeComplaintsResponse> KpiAnalyses::Complaints(const Scope& scope,
                                                                      int repeat_threshold) {
  const Period& period = scope.period;
  const SqlParam first = Month(period.first_month);
  const SqlParam last = Month(period.last_month);
  const SqlParam start = period.Start(config_.zone);
  const SqlParam end = period.End(config_.zone);
  ComplaintTally tally;
  std::vector<v1::RepeatComplainer> repeaters;
  absl::Status status = WithConnection(pool_, "analyze complaints", [&](DbConnection& db) {
    tally = ComplaintTally();
    repeaters.clear();
    ForEachRow(
        db, ComplaintRowsSql(),
        Params({first, last, start, end, start, end, last, first, start, start}, scope.filter),
        [&](const sql::ResultSet& row) { TallyComplaint(row, tally); });
    ForEachRow(db, RepeatComplainersSql(),
               Params({first, last}, scope.filter, {static_cast<int64_t>(repeat_threshold)}),
               [&](const sql::ResultSet& row) {
                 v1::RepeatComplainer& r = repeaters.emplace_back();
                 ReadAccountRef(row, r.mutable_account());
                 r.set_complaints(row.getInt("complaints"));
               });
    return absl::OkStatus();
  });
  if (!status.ok()) return status;

  v1::AnalyzeComplaintsResponse out;
  out.set_period(period.label);
  FillComplaints(tally, &out);
  std::sort(repeaters.begin(), repeaters.end(),
            [](const v1::RepeatComplainer& x, const v1::RepeatComplainer& y) {
              if (x.complaints() != y.complaints()) return x.complaints() > y.complaints();
              return x.account().id() < y.account().id();
            });
  for (v1::RepeatComplainer& r : repeaters) *out.add_repeat_complainers() = std::move(r);
  return out;
}

absl::StatusOr<v1::GetManagerScorecardResponse> KpiAnalyses::Scorecards(const Scope& scope) {
  std::map<std::string, Card> cards;
  absl::Status status = WithConnection(pool_, "manager scorecards", [&](DbConnection& db) {
    cards.clear();
    ReadCards(db, scope, cards);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;

  std::vector<Card*> ordered;
  for (auto& [owner_id, card] : cards) {
    FinishCard(card, config_.currency);
    ordered.push_back(&card);
  }
  // Largest revenue first; the map gave owner id order and the sort is stable.
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const Card* x, const Card* y) { return x->revenue > y->revenue; });
  v1::GetManagerScorecardResponse out;
  out.set_period(scope.period.label);
  for (Card* card : ordered) *out.add_managers() = std::move(card->proto);
  return out;
}

}  // namespace kam::analytics
