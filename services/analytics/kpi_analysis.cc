#include "services/analytics/kpi_analysis.h"

// PROVISIONAL: the KPI helper replaces this file.
namespace kam::analytics {

absl::StatusOr<v1::AnalyzeRetentionResponse> KpiAnalyses::Retention(const Scope&, int) {
  return absl::UnimplementedError("PROVISIONAL");
}
absl::StatusOr<v1::AnalyzePipelineResponse> KpiAnalyses::Pipeline(const Scope&) {
  return absl::UnimplementedError("PROVISIONAL");
}
absl::StatusOr<v1::AnalyzeComplaintsResponse> KpiAnalyses::Complaints(const Scope&, int) {
  return absl::UnimplementedError("PROVISIONAL");
}
absl::StatusOr<v1::GetManagerScorecardResponse> KpiAnalyses::Scorecards(const Scope&) {
  return absl::UnimplementedError("PROVISIONAL");
}

}  // namespace kam::analytics
