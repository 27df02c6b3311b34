#include "services/analytics/score.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/status.h"

namespace kam::analytics {
namespace {

namespace av1 = kam::accounts::v1;

constexpr double kWeightSumTolerance = 1e-6;

// The eight factors in ScoreWeights field order; arrays below are indexed by these.
enum Factor {
  kContractVolume,
  kUnitPrice,
  kRevenue,
  kCollectionRate,
  kProfit,
  kQualityLoss,
  kIndustryInfluence,
  kCredit,
  kFactorCount
};
using FactorValues = std::array<double, kFactorCount>;

// One row per account in scope: the period's sums from the monthly rollup, valid complaints
// created in the period, and the target for the period's year. On MariaDB the rollup's
// derived table is split per account (LATERAL DERIVED: one primary-key range per account, so
// the cost follows the period, not the history kept); the complaints are few and grouped once.
// Sums are cast to BIGINT so that they arrive as integers, not decimals. Columns are read by
// position (ReadInputsRow): a million rows make name lookups count.
std::string InputsSql() {
  return absl::StrCat(
      "SELECT ", kAccountRefColumns,
      ", a.credit_rating,"
      " CAST(COALESCE(m.contract_value, 0) AS SIGNED), CAST(COALESCE(m.revenue, 0) AS SIGNED),"
      " CAST(COALESCE(m.cost, 0) AS SIGNED), CAST(COALESCE(m.quantity, 0) AS SIGNED),"
      " CAST(COALESCE(m.paid, 0) AS SIGNED), COALESCE(c.complaints, 0),"
      " COALESCE(t.industry_influence, 0)"
      " FROM accounts a"
      " LEFT JOIN (SELECT account_id, SUM(contract_value_minor) AS contract_value,"
      " SUM(revenue_minor) AS revenue, SUM(cost_minor) AS cost, SUM(quantity) AS quantity,"
      " SUM(paid_minor) AS paid FROM account_month WHERE month BETWEEN ? AND ?"
      " GROUP BY account_id) m ON m.account_id = a.account_id"
      " LEFT JOIN (SELECT account_id, COUNT(*) AS complaints FROM complaint_facts"
      " WHERE valid = 1 AND create_month BETWEEN ? AND ? GROUP BY account_id) c"
      " ON c.account_id = a.account_id"
      " LEFT JOIN account_targets t ON t.account_id = a.account_id AND t.year = ?"
      " WHERE ",
      kAccountCondition);
}

FactorValues WeightValues(const v1::ScoreWeights& w) {
  return {w.contract_volume(), w.unit_price(),         w.revenue(), w.collection_rate(), w.profit(),
          w.quality_loss(),    w.industry_influence(), w.credit()};
}

// Percentile rank of every value within `values`: (lower + (equal - 1) / 2) / (n - 1), so
// equal values share a rank and one outsized value does not squash the rest; 1 for a set of
// one. Exact comparison of the raw type (integers for money and counts).
template <typename T>
std::vector<double> PercentileRanks(const std::vector<T>& values) {
  const size_t n = values.size();
  std::vector<double> ranks(n, 1.0);
  if (n <= 1) return ranks;
  std::vector<std::pair<T, size_t>> sorted;
  sorted.reserve(n);
  for (size_t i = 0; i < n; ++i) sorted.emplace_back(values[i], i);
  std::sort(sorted.begin(), sorted.end());
  const double last = static_cast<double>(n - 1);
  for (size_t start = 0; start < n;) {
    size_t end = start;
    while (end < n && sorted[end].first == sorted[start].first) ++end;
    const double equal = static_cast<double>(end - start);
    const double rank = (static_cast<double>(start) + (equal - 1) / 2) / last;
    for (size_t k = start; k < end; ++k) ranks[sorted[k].second] = rank;
    start = end;
  }
  return ranks;
}

double CreditScale(int32_t rating) {
  switch (rating) {
    case av1::CREDIT_RATING_AAA:
      return 1.0;
    case av1::CREDIT_RATING_AA:
      return 0.85;
    case av1::CREDIT_RATING_A:
      return 0.7;
    case av1::CREDIT_RATING_BBB:
      return 0.55;
    case av1::CREDIT_RATING_BB:
      return 0.4;
    case av1::CREDIT_RATING_B:
      return 0.25;
    case av1::CREDIT_RATING_C:
      return 0.1;
    default:
      return 0.0;
  }
}

double UnitPrice(const FactorInputs& in) { return Ratio(in.revenue, in.quantity); }

// Payments over revenue, capped at 1 (payments of earlier periods' invoices can exceed the
// period's revenue); 0 without revenue.
double CollectionRate(const FactorInputs& in) {
  if (in.revenue <= 0) return 0.0;
  return std::min(1.0, Ratio(in.paid, in.revenue));
}

FactorValues RawValues(const FactorInputs& in) {
  return {static_cast<double>(in.contract_volume),
          UnitPrice(in),
          static_cast<double>(in.revenue),
          CollectionRate(in),
          static_cast<double>(in.revenue - in.cost),
          static_cast<double>(in.valid_complaints),
          static_cast<double>(in.industry_influence),
          static_cast<double>(in.credit_rating)};
}

template <typename T, typename Get>
std::vector<double> RanksOf(const std::vector<FactorInputs>& inputs, Get get) {
  std::vector<T> values;
  values.reserve(inputs.size());
  for (const FactorInputs& in : inputs) values.push_back(get(in));
  return PercentileRanks(values);
}

// Fewer valid complaints is better: the inverted rank. The one account of a set of one is
// the best on every relative factor, this one included.
double QualityLoss(double complaints_rank, size_t accounts) {
  return accounts == 1 ? 1.0 : 1.0 - complaints_rank;
}

// The normalised (0-1, higher is better) factors of every account, in input order.
std::vector<FactorValues> Normalize(const std::vector<FactorInputs>& inputs) {
  const std::vector<double> contract =
      RanksOf<int64_t>(inputs, [](const FactorInputs& in) { return in.contract_volume; });
  const std::vector<double> unit_price = RanksOf<double>(inputs, UnitPrice);
  const std::vector<double> revenue =
      RanksOf<int64_t>(inputs, [](const FactorInputs& in) { return in.revenue; });
  const std::vector<double> profit =
      RanksOf<int64_t>(inputs, [](const FactorInputs& in) { return in.revenue - in.cost; });
  const std::vector<double> complaints =
      RanksOf<int64_t>(inputs, [](const FactorInputs& in) { return in.valid_complaints; });
  std::vector<FactorValues> out(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const FactorInputs& in = inputs[i];
    out[i] = {contract[i],
              unit_price[i],
              revenue[i],
              CollectionRate(in),
              profit[i],
              QualityLoss(complaints[i], inputs.size()),
              std::clamp(in.industry_influence, 0, 100) / 100.0,
              CreditScale(in.credit_rating)};
  }
  return out;
}

double WeightedSum(const FactorValues& normalized, const FactorValues& weights) {
  double sum = 0;
  for (int f = 0; f < kFactorCount; ++f) sum += normalized[f] * weights[f];
  // Weights sum to 1 only within 1e-6.
  return std::clamp(sum, 0.0, 1.0);
}

void SetFactor(double raw, double normalized, double weight, v1::FactorScore* out) {
  out->set_raw(raw);
  out->set_normalized(normalized);
  out->set_weighted(normalized * weight);
}

void FillBreakdown(const FactorValues& raw, const FactorValues& normalized,
                   const FactorValues& weights, v1::ScoreBreakdown* out) {
  v1::FactorScore* const factors[kFactorCount] = {
      out->mutable_contract_volume(),    out->mutable_unit_price(), out->mutable_revenue(),
      out->mutable_collection_rate(),    out->mutable_profit(),     out->mutable_quality_loss(),
      out->mutable_industry_influence(), out->mutable_credit()};
  for (int f = 0; f < kFactorCount; ++f) SetFactor(raw[f], normalized[f], weights[f], factors[f]);
}

// Input indexes by score descending, then account id.
std::vector<size_t> RankOrder(const std::vector<FactorInputs>& inputs,
                              const std::vector<double>& scores) {
  std::vector<size_t> order(inputs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    if (scores[x] != scores[y]) return scores[x] > scores[y];
    return inputs[x].account.id() < inputs[y].account.id();
  });
  return order;
}

// Builds the rows in rank order through `add_row`, rank = 1 + accounts scoring higher
// (exactly equal scores share a rank). `take_account` fills a row's account.
template <typename AddRow, typename TakeAccount>
void BuildRows(const std::vector<FactorInputs>& inputs, const v1::ScoreWeights& weights,
               AddRow add_row, TakeAccount take_account) {
  const FactorValues w = WeightValues(weights);
  const std::vector<FactorValues> normalized = Normalize(inputs);
  std::vector<double> scores(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) scores[i] = WeightedSum(normalized[i], w);
  const std::vector<size_t> order = RankOrder(inputs, scores);
  int32_t rank = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t i = order[k];
    if (k == 0 || scores[i] != scores[order[k - 1]]) rank = static_cast<int32_t>(k + 1);
    v1::ScoreRow* row = add_row();
    take_account(i, row->mutable_account());
    row->set_score(scores[i]);
    row->set_rank(rank);
    FillBreakdown(RawValues(inputs[i]), normalized[i], w, row->mutable_breakdown());
  }
}

// By position, in the order of InputsSql's select list.
void ReadInputsRow(const sql::ResultSet& row, FactorInputs* out) {
  v1::AccountRef& account = out->account;
  account.set_id(row.getInt64(1));
  account.set_name(row.getString(2));
  account.set_tier(static_cast<av1::Tier>(row.getInt(3)));
  account.set_owner_id(row.getString(4));
  account.set_region(row.getString(5));
  account.set_industry(row.getString(6));
  out->credit_rating = row.getInt(7);
  out->contract_volume = row.getInt64(8);
  out->revenue = row.getInt64(9);
  out->cost = row.getInt64(10);
  out->quantity = row.getInt64(11);
  out->paid = row.getInt64(12);
  out->valid_complaints = row.getInt64(13);
  out->industry_influence = row.getInt(14);
}

}  // namespace

v1::ScoreWeights DefaultWeights() {
  v1::ScoreWeights w;
  w.set_contract_volume(0.15);
  w.set_unit_price(0.05);
  w.set_revenue(0.25);
  w.set_collection_rate(0.15);
  w.set_profit(0.15);
  w.set_quality_loss(0.10);
  w.set_industry_influence(0.05);
  w.set_credit(0.10);
  return w;
}

absl::StatusOr<v1::ScoreWeights> CheckWeights(const v1::ScoreWeights& weights) {
  const google::protobuf::Descriptor* descriptor = v1::ScoreWeights::descriptor();
  const google::protobuf::Reflection* reflection = v1::ScoreWeights::GetReflection();
  double sum = 0;
  bool all_zero = true;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    const double value = reflection->GetDouble(weights, field);
    // Written so that NaN fails too.
    if (!(value >= 0.0 && value <= 1.0)) {
      return InvalidField(absl::StrCat("weights.", field->name()), "must be between 0 and 1");
    }
    if (value != 0.0) all_zero = false;
    sum += value;
  }
  if (all_zero) return DefaultWeights();
  if (std::fabs(sum - 1.0) > kWeightSumTolerance) {
    return InvalidField("weights", absl::StrFormat("must sum to 1 (they sum to %.6g)", sum));
  }
  return weights;
}

std::vector<double> Scores(const std::vector<FactorInputs>& inputs,
                           const v1::ScoreWeights& weights) {
  const FactorValues w = WeightValues(weights);
  const std::vector<FactorValues> normalized = Normalize(inputs);
  std::vector<double> scores;
  scores.reserve(inputs.size());
  for (const FactorValues& n : normalized) scores.push_back(WeightedSum(n, w));
  return scores;
}

std::vector<v1::ScoreRow> ScoreAll(const std::vector<FactorInputs>& inputs,
                                   const v1::ScoreWeights& weights) {
  std::vector<v1::ScoreRow> rows;
  rows.reserve(inputs.size());
  BuildRows(
      inputs, weights, [&rows] { return &rows.emplace_back(); },
      [&inputs](size_t i, v1::AccountRef* out) { *out = inputs[i].account; });
  return rows;
}

absl::StatusOr<std::vector<FactorInputs>> Scorer::ReadInputs(const Scope& scope) {
  static const std::string* const kInputsSql = new std::string(InputsSql());
  std::vector<FactorInputs> inputs;
  absl::Status status = WithConnection(pool_, "score inputs", [&](DbConnection& db) {
    inputs.clear();  // a retry on a fresh connection starts over
    sql::PreparedStatement& stmt = db.Prepare(*kInputsSql);
    const int64_t first = scope.period.first_month;
    const int64_t last = scope.period.last_month;
    std::vector<SqlParam> params = {first, last, first, last, int64_t{scope.period.year()}};
    Append(params, AccountConditionParams(scope.filter));
    BindAll(stmt, params);
    std::unique_ptr<sql::ResultSet> rows(stmt.executeQuery());
    inputs.reserve(rows->rowsCount());
    while (rows->next()) {
      inputs.emplace_back();
      ReadInputsRow(*rows, &inputs.back());
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return inputs;
}

absl::StatusOr<v1::ScoreAccountsResponse> Scorer::Score(const Scope& scope,
                                                        const v1::ScoreWeights& weights) {
  absl::StatusOr<v1::ScoreWeights> checked = CheckWeights(weights);
  if (!checked.ok()) return checked.status();
  absl::StatusOr<std::vector<FactorInputs>> inputs = ReadInputs(scope);
  if (!inputs.ok()) return inputs.status();
  v1::ScoreAccountsResponse response;
  response.set_period(scope.period.label);
  *response.mutable_weights() = *checked;
  response.set_accounts(static_cast<int32_t>(inputs->size()));
  response.mutable_rows()->Reserve(static_cast<int>(inputs->size()));
  // As ScoreAll, moving each account into its row instead of copying it.
  BuildRows(
      *inputs, *checked, [&response] { return response.add_rows(); },
      [&inputs](size_t i, v1::AccountRef* out) { *out = std::move((*inputs)[i].account); });
  return response;
}

}  // namespace kam::analytics
