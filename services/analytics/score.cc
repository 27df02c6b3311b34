#include "services/analytics/score.h"

// PROVISIONAL: the scoring helper replaces this file.
namespace kam::analytics {

v1::ScoreWeights DefaultWeights() { return v1::ScoreWeights(); }
absl::StatusOr<v1::ScoreWeights> CheckWeights(const v1::ScoreWeights& w) { return w; }
std::vector<v1::ScoreRow> ScoreAll(const std::vector<FactorInputs>&, const v1::ScoreWeights&) {
  return {};
}
absl::StatusOr<v1::ScoreAccountsResponse> Scorer::Score(const Scope&, const v1::ScoreWeights&) {
  return absl::UnimplementedError("PROVISIONAL");
}

}  // namespace kam::analytics
