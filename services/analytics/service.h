#pragma once

#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "services/analytics/inputs_store.h"
#include "services/analytics/kpi_analysis.h"
#include "services/analytics/projection.h"
#include "services/analytics/result_pages.h"
#include "services/analytics/sales_analysis.h"
#include "services/analytics/score.h"
#include "services/analytics/tier_review.h"
#include "services/common/call_handler.h"

// AnalyticsService at the gRPC edge: validation and access (service_checks.h: account
// managers see their own accounts only), paging of whole results (result_pages.h), and the
// calls into the analyses (analytics_service.cc).
namespace kam::analytics {

struct ServiceParts {
  Projection* projection;  // facts version for every response
  InputsStore* inputs;
  SalesAnalyses* sales;
  Scorer* scorer;
  KpiAnalyses* kpis;
  TierReviews* reviews;
};

class AnalyticsServiceImpl final : public v1::AnalyticsService::CallbackService {
 public:
  // `paging` bounds the results kept for later pages (tests make it small).
  AnalyticsServiceImpl(ServiceParts parts, CallHandler* handler,
                       ResultCache::Limits paging = ResultCache::Limits());

  grpc::ServerUnaryReactor* PutInventorySnapshots(
      grpc::CallbackServerContext* context, const v1::PutInventorySnapshotsRequest* request,
      v1::PutInventorySnapshotsResponse* response) override;
  grpc::ServerUnaryReactor* PutAccountTargets(grpc::CallbackServerContext* context,
                                              const v1::PutAccountTargetsRequest* request,
                                              v1::PutAccountTargetsResponse* response) override;
  grpc::ServerUnaryReactor* AnalyzeAbc(grpc::CallbackServerContext* context,
                                       const v1::AnalyzeAbcRequest* request,
                                       v1::AnalyzeAbcResponse* response) override;
  grpc::ServerUnaryReactor* AnalyzeComposition(grpc::CallbackServerContext* context,
                                               const v1::AnalyzeCompositionRequest* request,
                                               v1::AnalyzeCompositionResponse* response) override;
  grpc::ServerUnaryReactor* AnalyzeTransactions(grpc::CallbackServerContext* context,
                                                const v1::AnalyzeTransactionsRequest* request,
                                                v1::AnalyzeTransactionsResponse* response) override;
  grpc::ServerUnaryReactor* AnalyzeProductMix(grpc::CallbackServerContext* context,
                                              const v1::AnalyzeProductMixRequest* request,
                                              v1::AnalyzeProductMixResponse* response) override;
  grpc::ServerUnaryReactor* AnalyzeProducts(grpc::CallbackServerContext* context,
                                            const v1::AnalyzeProductsRequest* request,
                                            v1::AnalyzeProductsResponse* response) override;
  grpc::ServerUnaryReactor* ScoreAccounts(grpc::CallbackServerContext* context,
                                          const v1::ScoreAccountsRequest* request,
                                          v1::ScoreAccountsResponse* response) override;
  grpc::ServerUnaryReactor* RunTierReview(grpc::CallbackServerContext* context,
                                          const v1::RunTierReviewRequest* request,
                                          v1::RunTierReviewResponse* response) override;
  grpc::ServerUnaryReactor* GetTierReview(grpc::CallbackServerContext* context,
                                          const v1::GetTierReviewRequest* request,
                                          v1::GetTierReviewResponse* response) override;
  grpc::ServerUnaryReactor* ListTierReviews(grpc::CallbackServerContext* context,
                                            const v1::ListTierReviewsRequest* request,
                                            v1::ListTierReviewsResponse* response) override;
  grpc::ServerUnaryReactor* ListTierChanges(grpc::CallbackServerContext* context,
                                            const v1::ListTierChangesRequest* request,
                                            v1::ListTierChangesResponse* response) override;
  grpc::ServerUnaryReactor* AnalyzeRetention(grpc::CallbackServerContext* context,
                                             const v1::AnalyzeRetentionRequest* request,
                                             v1::AnalyzeRetentionResponse* response) override;
  grpc::ServerUnaryReactor* AnalyzePipeline(grpc::CallbackServerContext* context,
                                            const v1::AnalyzePipelineRequest* request,
                                            v1::AnalyzePipelineResponse* response) override;
  grpc::ServerUnaryReactor* AnalyzeComplaints(grpc::CallbackServerContext* context,
                                              const v1::AnalyzeComplaintsRequest* request,
                                              v1::AnalyzeComplaintsResponse* response) override;
  grpc::ServerUnaryReactor* GetManagerScorecard(grpc::CallbackServerContext* context,
                                                const v1::GetManagerScorecardRequest* request,
                                                v1::GetManagerScorecardResponse* response) override;
  grpc::ServerUnaryReactor* GetAccountStanding(grpc::CallbackServerContext* context,
                                               const v1::GetAccountStandingRequest* request,
                                               v1::GetAccountStandingResponse* response) override;

 private:
  // The version results are paged under: the projection's stream positions and the inputs'
  // revision.
  absl::StatusOr<ResultVersion> CurrentVersion();
  // One page of a paged analysis; the request's digest binds its fields (but the paging
  // ones) with the effective filter of `scope`.
  template <typename Request, typename Response>
  absl::Status ServePaged(const CallContext& call, std::string_view method, const Request& request,
                          const Scope& scope,
                          const std::function<absl::StatusOr<Response>()>& compute,
                          Response* response);
  // A whole (unpaged) result with `facts` filled in.
  template <typename Response>
  absl::Status ServeWhole(const std::function<absl::StatusOr<Response>()>& compute,
                          Response* response);

  // The account's ABC and score rows over every active account for `period`, each whole
  // result shared through the pager's cache.
  absl::Status Standing(const CallContext& call, int64_t account_id, const Period& period,
                        v1::GetAccountStandingResponse* response);

  ServiceParts parts_;
  CallHandler& handler_;
  ResultPager pager_;
};

}  // namespace kam::analytics
