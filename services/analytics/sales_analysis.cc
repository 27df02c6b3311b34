#include "services/analytics/sales_analysis.h"

// PROVISIONAL: the sales helper replaces this file.
namespace kam::analytics {

void SortByRevenue(std::vector<RevenueRow>&) {}
std::vector<AbcAssignment> ClassifyAbc(const std::vector<RevenueRow>&, int, int) { return {}; }
double ParetoTop20Share(const std::vector<RevenueRow>&) { return 0; }
absl::StatusOr<v1::AbcThresholds> CheckAbcThresholds(const v1::AbcThresholds& t) { return t; }

absl::StatusOr<v1::AnalyzeAbcResponse> SalesAnalyses::Abc(const Scope&, const v1::AbcThresholds&) {
  return absl::UnimplementedError("PROVISIONAL");
}
absl::StatusOr<v1::AnalyzeCompositionResponse> SalesAnalyses::Composition(const Scope&,
                                                                          v1::Dimension) {
  return absl::UnimplementedError("PROVISIONAL");
}
absl::StatusOr<v1::AnalyzeTransactionsResponse> SalesAnalyses::Transactions(const Scope&, bool) {
  return absl::UnimplementedError("PROVISIONAL");
}
absl::StatusOr<v1::AnalyzeProductMixResponse> SalesAnalyses::ProductMix(const Period&, int64_t) {
  return absl::UnimplementedError("PROVISIONAL");
}
absl::StatusOr<v1::AnalyzeProductsResponse> SalesAnalyses::Products(const Scope&) {
  return absl::UnimplementedError("PROVISIONAL");
}

}  // namespace kam::analytics
