#include "services/analytics/tier_review.h"

// PROVISIONAL: the scoring helper replaces this file.
namespace kam::analytics {

TierProposal ProposeTier(v1::AbcClass, int64_t, double, const v1::TierReviewParameters&) {
  return {};
}
absl::StatusOr<v1::TierReviewParameters> CheckReviewParameters(const v1::TierReviewParameters& p) {
  return p;
}
std::unique_ptr<TierWriter> MakeGrpcTierWriter(const std::shared_ptr<grpc::Channel>&, std::string) {
  return nullptr;
}
absl::StatusOr<v1::TierReview> TierReviews::Run(const Mutation&, const v1::TierReviewParameters&,
                                                bool) {
  return absl::UnimplementedError("PROVISIONAL");
}
absl::StatusOr<v1::TierReview> TierReviews::Get(const std::string&) {
  return absl::UnimplementedError("PROVISIONAL");
}
absl::StatusOr<Page<v1::TierReview>> TierReviews::List(int, const std::optional<ReviewCursor>&) {
  return absl::UnimplementedError("PROVISIONAL");
}
absl::StatusOr<Page<v1::TierChange>> TierReviews::ListChanges(const std::string&, int, int64_t) {
  return absl::UnimplementedError("PROVISIONAL");
}

}  // namespace kam::analytics
