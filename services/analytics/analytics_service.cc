#include "services/analytics/service.h"

// PROVISIONAL: the service helper replaces this file.
namespace kam::analytics {

grpc::ServerUnaryReactor* AnalyticsServiceImpl::PutInventorySnapshots(
    grpc::CallbackServerContext* context, const v1::PutInventorySnapshotsRequest* /*request*/,
    v1::PutInventorySnapshotsResponse* /*response*/) {
  return handler_.Run(context, "/kam.analytics.v1.AnalyticsService/PutInventorySnapshots",
                      [](const CallContext&) { return absl::UnimplementedError("PROVISIONAL"); });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::PutAccountTargets(
    grpc::CallbackServerContext* context, const v1::PutAccountTargetsRequest* /*request*/,
    v1::PutAccountTargetsResponse* /*response*/) {
  return handler_.Run(context, "/kam.analytics.v1.AnalyticsService/PutAccountTargets",
                      [](const CallContext&) { return absl::UnimplementedError("PROVISIONAL"); });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::AnalyzeAbc(grpc::CallbackServerContext* context,
                                                           const v1::AnalyzeAbcRequest* /*request*/,
                                                           v1::AnalyzeAbcResponse* /*response*/) {
  return handler_.Run(context, "/kam.analytics.v1.AnalyticsService/AnalyzeAbc",
                      [](const CallContext&) { return absl::UnimplementedError("PROVISIONAL"); });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::AnalyzeComposition(
    grpc::CallbackServerContext* context, const v1::AnalyzeCompositionRequest* /*request*/,
    v1::AnalyzeCompositionResponse* /*response*/) {
  return handler_.Run(context, "/kam.analytics.v1.AnalyticsService/AnalyzeComposition",
                      [](const CallContext&) { return absl::UnimplementedError("PROVISIONAL"); });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::AnalyzeTransactions(
    grpc::CallbackServerContext* context, const v1::AnalyzeTransactionsRequest* /*request*/,
    v1::AnalyzeTransactionsResponse* /*response*/) {
  return handler_.Run(context, "/kam.analytics.v1.AnalyticsService/AnalyzeTransactions",
                      [](const CallContext&) { return absl::UnimplementedError("PROVISIONAL"); });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::AnalyzeProductMix(
    grpc::CallbackServerContext* context, const v1::AnalyzeProductMixRequest* /*request*/,
    v1::AnalyzeProductMixResponse* /*response*/) {
  return handler_.Run(context, "/kam.analytics.v1.AnalyticsService/AnalyzeProductMix",
                      [](const CallContext&) { return absl::UnimplementedError("PROVISIONAL"); });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::AnalyzeProducts(
    grpc::CallbackServerContext* context, const v1::AnalyzeProductsRequest* /*request*/,
    v1::AnalyzeProductsResponse* /*response*/) {
  return handler_.Run(context, "/kam.analytics.v1.AnalyticsService/AnalyzeProducts",
                      [](const CallContext&) { return absl::UnimplementedError("PROVISIONAL"); });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::ScoreAccounts(
    grpc::CallbackServerContext* context, const v1::ScoreAccountsRequest* /*request*/,
    v1::ScoreAccountsResponse* /*response*/) {
  return handler_.Run(context, "/kam.analytics.v1.AnalyticsService/ScoreAccounts",
                      [](const CallContext&) { return absl::UnimplementedError("PROVISIONAL"); });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::RunTierReview(
    grpc::CallbackServerContext* context, const v1::RunTierReviewRequest* /*request*/,
    v1::RunTierReviewResponse* /*response*/) {
  return handler_.Run(context, "/kam.analytics.v1.AnalyticsService/RunTierReview",
                      [](const CallContext&) { return absl::UnimplementedError("PROVISIONAL"); });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::GetTierReview(
    grpc::CallbackServerContext* context, const v1::GetTierReviewRequest* /*request*/,
    v1::GetTierReviewResponse* /*response*/) {
  return handler_.Run(context, "/kam.analytics.v1.AnalyticsService/GetTierReview",
                      [](const CallContext&) { return absl::UnimplementedError("PROVISIONAL"); });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::ListTierReviews(
    grpc::CallbackServerContext* context, const v1::ListTierReviewsRequest* /*request*/,
    v1::ListTierReviewsResponse* /*response*/) {
  return handler_.Run(context, "/kam.analytics.v1.AnalyticsService/ListTierReviews",
                      [](const CallContext&) { return absl::UnimplementedError("PROVISIONAL"); });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::ListTierChanges(
    grpc::CallbackServerContext* context, const v1::ListTierChangesRequest* /*request*/,
    v1::ListTierChangesResponse* /*response*/) {
  return handler_.Run(context, "/kam.analytics.v1.AnalyticsService/ListTierChanges",
                      [](const CallContext&) { return absl::UnimplementedError("PROVISIONAL"); });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::AnalyzeRetention(
    grpc::CallbackServerContext* context, const v1::AnalyzeRetentionRequest* /*request*/,
    v1::AnalyzeRetentionResponse* /*response*/) {
  return handler_.Run(context, "/kam.analytics.v1.AnalyticsService/AnalyzeRetention",
                      [](const CallContext&) { return absl::UnimplementedError("PROVISIONAL"); });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::AnalyzePipeline(
    grpc::CallbackServerContext* context, const v1::AnalyzePipelineRequest* /*request*/,
    v1::AnalyzePipelineResponse* /*response*/) {
  return handler_.Run(context, "/kam.analytics.v1.AnalyticsService/AnalyzePipeline",
                      [](const CallContext&) { return absl::UnimplementedError("PROVISIONAL"); });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::AnalyzeComplaints(
    grpc::CallbackServerContext* context, const v1::AnalyzeComplaintsRequest* /*request*/,
    v1::AnalyzeComplaintsResponse* /*response*/) {
  return handler_.Run(context, "/kam.analytics.v1.AnalyticsService/AnalyzeComplaints",
                      [](const CallContext&) { return absl::UnimplementedError("PROVISIONAL"); });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::GetManagerScorecard(
    grpc::CallbackServerContext* context, const v1::GetManagerScorecardRequest* /*request*/,
    v1::GetManagerScorecardResponse* /*response*/) {
  return handler_.Run(context, "/kam.analytics.v1.AnalyticsService/GetManagerScorecard",
                      [](const CallContext&) { return absl::UnimplementedError("PROVISIONAL"); });
}

}  // namespace kam::analytics
