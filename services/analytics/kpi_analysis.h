#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/analytics/scope.h"

// The KPI analyses (README "Analytics" has the definitions): loyalty and retention, the
// pipeline, complaints, and the account manager scorecard. Each returns the whole result
// without `facts` (the service fills it in). Percentiles are nearest-rank: the p-th
// percentile of n sorted values is value number ceil(p/100 * n).
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

}  // namespace kam::analytics
