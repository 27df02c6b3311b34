#pragma once

#include <cstdint>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/analytics/scope.h"

// The KPI analyses (README "Analytics" has the definitions): loyalty and retention, the
// pipeline, complaints, and the account manager scorecard. Each returns the whole result
// without `facts` (the service fills it in). Percentiles are nearest-rank: the p-th
// percentile of n sorted values is value number ceil(p/100 * n).
//
// Each analysis is a handful of set-based SELECTs over the facts joined to `accounts a`
// (kAccountCondition), tallied in C++. Errors: UNAVAILABLE when the database cannot be reached
// (safe to retry), INTERNAL for any other database failure (MapSqlError).
namespace kam::analytics {

class KpiAnalyses {
 public:
  KpiAnalyses(DbPool& pool, const AnalyticsConfig& config) : pool_(pool), config_(config) {}

  // `at_risk_months` already checked (1-60).
  absl::StatusOr<v1::AnalyzeRetentionResponse> Retention(const Scope& scope, int at_risk_months);
  absl::StatusOr<v1::AnalyzePipelineResponse> Pipeline(const Scope& scope);
  // `repeat_threshold` already checked (>= 2).
  absl::StatusOr<v1::AnalyzeComplaintsResponse> Complaints(const Scope& scope,
                                                           int repeat_threshold);
  absl::StatusOr<v1::GetManagerScorecardResponse> Scorecards(const Scope& scope);

 private:
  DbPool& pool_;
  const AnalyticsConfig& config_;
};

// The pure arithmetic the analyses share (exposed for tests).

// numerator / denominator rounded to the nearest integer, halves away from zero; 0 when the
// denominator is 0. Used for every money figure that is a quotient (average order value,
// amount x probability / 100), so that it stays exact up to that one rounding.
absl::int128 RoundedQuotient(absl::int128 numerator, absl::int128 denominator);

// The nearest-rank p-th percentile (0 < p <= 100) of `sorted` (ascending): value number
// ceil(p/100 * n); 0 when empty. The median is the 50th percentile (the lower middle value
// of an even count).
double NearestRank(const std::vector<double>& sorted, int p);

// The mean of `values`; 0 when empty.
double Mean(const std::vector<double>& values);

// Revenue over the wallet estimates scaled to the period: revenue / (estimates x months /
// 12), computed as (12 x revenue) / (estimates x months); 0 without estimates.
double ShareOfWallet(int64_t revenue, absl::int128 yearly_estimates, int months);

// Whole calendar months without orders at the end of a period: the months after
// `last_order_month` up to and including `period_last_month` (0 when not before it).
int MonthsWithoutOrders(int last_order_month, int period_last_month);

}  // namespace kam::analytics
