#include <functional>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "services/analytics/service.h"
#include "services/analytics/service_checks.h"
#include "services/common/idempotency.h"
#include "services/common/proto_support.h"
#include "services/common/validation.h"

// AnalyticsService handlers: the caller's role, then every request field (errors name the
// field), then access (account managers are narrowed to their own accounts), then the
// analysis. Analyses that return one row per account are paged from whole results
// (ResultPager); the others return the whole result. Every response carries the facts
// version read before the analysis ran.
namespace kam::analytics {
namespace {

constexpr char kPutInventorySnapshots[] =
    "/kam.analytics.v1.AnalyticsService/PutInventorySnapshots";
constexpr char kPutAccountTargets[] = "/kam.analytics.v1.AnalyticsService/PutAccountTargets";
constexpr char kAnalyzeAbc[] = "/kam.analytics.v1.AnalyticsService/AnalyzeAbc";
constexpr char kAnalyzeComposition[] = "/kam.analytics.v1.AnalyticsService/AnalyzeComposition";
constexpr char kAnalyzeTransactions[] = "/kam.analytics.v1.AnalyticsService/AnalyzeTransactions";
constexpr char kAnalyzeProductMix[] = "/kam.analytics.v1.AnalyticsService/AnalyzeProductMix";
constexpr char kAnalyzeProducts[] = "/kam.analytics.v1.AnalyticsService/AnalyzeProducts";
constexpr char kScoreAccounts[] = "/kam.analytics.v1.AnalyticsService/ScoreAccounts";
constexpr char kRunTierReview[] = "/kam.analytics.v1.AnalyticsService/RunTierReview";
constexpr char kGetTierReview[] = "/kam.analytics.v1.AnalyticsService/GetTierReview";
constexpr char kListTierReviews[] = "/kam.analytics.v1.AnalyticsService/ListTierReviews";
constexpr char kListTierChanges[] = "/kam.analytics.v1.AnalyticsService/ListTierChanges";
constexpr char kAnalyzeRetention[] = "/kam.analytics.v1.AnalyticsService/AnalyzeRetention";
constexpr char kAnalyzePipeline[] = "/kam.analytics.v1.AnalyticsService/AnalyzePipeline";
constexpr char kAnalyzeComplaints[] = "/kam.analytics.v1.AnalyticsService/AnalyzeComplaints";
constexpr char kGetManagerScorecard[] = "/kam.analytics.v1.AnalyticsService/GetManagerScorecard";
constexpr char kGetAccountStanding[] = "/kam.analytics.v1.AnalyticsService/GetAccountStanding";

// The short method name of a full one, for digests and idempotency fingerprints.
std::string_view ShortName(std::string_view full_method) {
  return full_method.substr(full_method.rfind('/') + 1);
}

// Only the caller's own card for account managers, whatever the analysis returned.
void KeepOwnCard(const Principal& caller, v1::GetManagerScorecardResponse& response) {
  if (SeesEveryAccount(caller)) return;
  auto* managers = response.mutable_managers();
  for (int i = managers->size() - 1; i >= 0; --i) {
    if (managers->Get(i).owner_id() != caller.subject) managers->DeleteSubrange(i, 1);
  }
}

// Parses the row of `account_id` in a stored whole result; false when it has none.
template <typename Row>
bool FindAccountRow(const StoredResult& result, int64_t account_id, Row* row) {
  for (size_t i = 0; i < result.row_count(); ++i) {
    const std::string_view bytes = result.Row(i);
    if (RowAccountId(bytes) != account_id) continue;
    return row->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  }
  return false;
}

// The whole-company requests a standing reads rows of; their digests key the shared results.
v1::AnalyzeAbcRequest StandingAbcRequest(const Period& period) {
  v1::AnalyzeAbcRequest request;
  request.set_period(period.label);
  return request;
}

v1::ScoreAccountsRequest StandingScoreRequest(const Period& period) {
  v1::ScoreAccountsRequest request;
  request.set_period(period.label);
  return request;
}

}  // namespace

AnalyticsServiceImpl::AnalyticsServiceImpl(ServiceParts parts, CallHandler* handler,
                                           ResultCache::Limits paging)
    : parts_(parts), handler_(*handler), pager_(paging, [this] { return CurrentVersion(); }) {}

absl::StatusOr<ResultVersion> AnalyticsServiceImpl::CurrentVersion() {
  absl::StatusOr<v1::FactsVersion> facts = parts_.projection->Version();
  if (!facts.ok()) return facts.status();
  absl::StatusOr<int64_t> revision = parts_.inputs->Revision();
  if (!revision.ok()) return revision.status();
  return ResultVersion{facts->accounts_sequence(), facts->complaints_sequence(), *revision};
}

template <typename Request, typename Response>
absl::Status AnalyticsServiceImpl::ServePaged(
    const CallContext& call, std::string_view method, const Request& request, const Scope& scope,
    const std::function<absl::StatusOr<Response>()>& compute, Response* response) {
  absl::StatusOr<int> page_size = NormalizePageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  // The effective filter keys the cached result too; the caller is in PageTokenKey.
  Request keyed = request;
  *keyed.mutable_filter() = scope.filter;
  const std::string digest = PageTokenKey(call, ShortName(method), keyed);
  return pager_.Serve<Response>(digest, *page_size, request.page_token(), call.now, compute,
                                response);
}

template <typename Response>
absl::Status AnalyticsServiceImpl::ServeWhole(
    const std::function<absl::StatusOr<Response>()>& compute, Response* response) {
  absl::StatusOr<v1::FactsVersion> facts = parts_.projection->Version();
  if (!facts.ok()) return facts.status();
  absl::StatusOr<Response> result = compute();
  if (!result.ok()) return result.status();
  *response = *std::move(result);
  *response->mutable_facts() = *facts;
  return absl::OkStatus();
}

// ---- inputs ----

grpc::ServerUnaryReactor* AnalyticsServiceImpl::PutInventorySnapshots(
    grpc::CallbackServerContext* context, const v1::PutInventorySnapshotsRequest* request,
    v1::PutInventorySnapshotsResponse* response) {
  return handler_.Run(context, kPutInventorySnapshots, [=](const CallContext& call) {
    if (auto s = RequireInventoryWriter(call.principal); !s.ok()) return s;
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    absl::StatusOr<std::vector<InventoryRow>> rows =
        CheckSnapshots(request->snapshots(), parts_.projection->config().currency);
    if (!rows.ok()) return rows.status();
    absl::StatusOr<int> stored = parts_.inputs->PutInventory(
        MutationFor(call, ShortName(kPutInventorySnapshots), *request, request->request_id()),
        *rows);
    if (!stored.ok()) return stored.status();
    response->set_stored(*stored);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::PutAccountTargets(
    grpc::CallbackServerContext* context, const v1::PutAccountTargetsRequest* request,
    v1::PutAccountTargetsResponse* response) {
  return handler_.Run(context, kPutAccountTargets, [=](const CallContext& call) {
    if (auto s = RequireTargetWriter(call.principal); !s.ok()) return s;
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    absl::StatusOr<std::vector<TargetRow>> rows =
        CheckTargets(request->targets(), parts_.projection->config().currency);
    if (!rows.ok()) return rows.status();
    absl::StatusOr<int> stored = parts_.inputs->PutTargets(
        MutationFor(call, ShortName(kPutAccountTargets), *request, request->request_id()), *rows);
    if (!stored.ok()) return stored.status();
    response->set_stored(*stored);
    return absl::OkStatus();
  });
}

// ---- sales analyses ----

grpc::ServerUnaryReactor* AnalyticsServiceImpl::AnalyzeAbc(grpc::CallbackServerContext* context,
                                                           const v1::AnalyzeAbcRequest* request,
                                                           v1::AnalyzeAbcResponse* response) {
  return handler_.Run(context, kAnalyzeAbc, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireAnalyst(call.principal); !s.ok()) return s;
    absl::StatusOr<Scope> scope = CheckScope(call.principal, request->period(), request->filter());
    if (!scope.ok()) return scope.status();
    absl::StatusOr<v1::AbcThresholds> thresholds = CheckAbcThresholds(request->thresholds());
    if (!thresholds.ok()) return thresholds.status();
    return ServePaged<v1::AnalyzeAbcRequest, v1::AnalyzeAbcResponse>(
        call, kAnalyzeAbc, *request, *scope, [&] { return parts_.sales->Abc(*scope, *thresholds); },
        response);
  });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::AnalyzeComposition(
    grpc::CallbackServerContext* context, const v1::AnalyzeCompositionRequest* request,
    v1::AnalyzeCompositionResponse* response) {
  return handler_.Run(context, kAnalyzeComposition, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireAnalyst(call.principal); !s.ok()) return s;
    absl::StatusOr<Scope> scope = CheckScope(call.principal, request->period(), request->filter());
    if (!scope.ok()) return scope.status();
    if (auto s = CheckDimension(request->dimension()); !s.ok()) return s;
    return ServePaged<v1::AnalyzeCompositionRequest, v1::AnalyzeCompositionResponse>(
        call, kAnalyzeComposition, *request, *scope,
        [&] { return parts_.sales->Composition(*scope, request->dimension()); }, response);
  });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::AnalyzeTransactions(
    grpc::CallbackServerContext* context, const v1::AnalyzeTransactionsRequest* request,
    v1::AnalyzeTransactionsResponse* response) {
  return handler_.Run(context, kAnalyzeTransactions, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireAnalyst(call.principal); !s.ok()) return s;
    absl::StatusOr<Scope> scope = CheckScope(call.principal, request->period(), request->filter());
    if (!scope.ok()) return scope.status();
    return ServePaged<v1::AnalyzeTransactionsRequest, v1::AnalyzeTransactionsResponse>(
        call, kAnalyzeTransactions, *request, *scope,
        [&] { return parts_.sales->Transactions(*scope, request->shortfalls_only()); }, response);
  });
}

// A manager asking about an account that is not theirs gets the answer an unknown account
// gets, so account ids cannot be probed.
grpc::ServerUnaryReactor* AnalyticsServiceImpl::AnalyzeProductMix(
    grpc::CallbackServerContext* context, const v1::AnalyzeProductMixRequest* request,
    v1::AnalyzeProductMixResponse* response) {
  return handler_.Run(context, kAnalyzeProductMix, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireAnalyst(call.principal); !s.ok()) return s;
    absl::StatusOr<Period> period = ParsePeriod("period", request->period());
    if (!period.ok()) return period.status();
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    absl::Status status = ServeWhole<v1::AnalyzeProductMixResponse>(
        [&] { return parts_.sales->ProductMix(*period, request->account_id()); }, response);
    if (SeesEveryAccount(call.principal)) return status;
    if (absl::IsNotFound(status) ||
        (status.ok() && response->account().owner_id() != call.principal.subject)) {
      response->Clear();
      return NotYourAccount(request->account_id());
    }
    return status;
  });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::AnalyzeProducts(
    grpc::CallbackServerContext* context, const v1::AnalyzeProductsRequest* request,
    v1::AnalyzeProductsResponse* response) {
  return handler_.Run(context, kAnalyzeProducts, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireAnalyst(call.principal); !s.ok()) return s;
    absl::StatusOr<Scope> scope = CheckScope(call.principal, request->period(), request->filter());
    if (!scope.ok()) return scope.status();
    return ServePaged<v1::AnalyzeProductsRequest, v1::AnalyzeProductsResponse>(
        call, kAnalyzeProducts, *request, *scope, [&] { return parts_.sales->Products(*scope); },
        response);
  });
}

// ---- score and tier review ----

grpc::ServerUnaryReactor* AnalyticsServiceImpl::ScoreAccounts(
    grpc::CallbackServerContext* context, const v1::ScoreAccountsRequest* request,
    v1::ScoreAccountsResponse* response) {
  return handler_.Run(context, kScoreAccounts, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireAnalyst(call.principal); !s.ok()) return s;
    absl::StatusOr<Scope> scope = CheckScope(call.principal, request->period(), request->filter());
    if (!scope.ok()) return scope.status();
    absl::StatusOr<v1::ScoreWeights> weights = CheckWeights(request->weights());
    if (!weights.ok()) return weights.status();
    return ServePaged<v1::ScoreAccountsRequest, v1::ScoreAccountsResponse>(
        call, kScoreAccounts, *request, *scope,
        [&] { return parts_.scorer->Score(*scope, *weights); }, response);
  });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::RunTierReview(
    grpc::CallbackServerContext* context, const v1::RunTierReviewRequest* request,
    v1::RunTierReviewResponse* response) {
  return handler_.Run(context, kRunTierReview, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireReviewRunner(call.principal); !s.ok()) return s;
    if (auto s = ValidateRequestId(request->request_id()); !s.ok()) return s;
    absl::StatusOr<v1::TierReviewParameters> parameters =
        CheckReviewParameters(request->parameters());
    if (!parameters.ok()) return parameters.status();
    absl::StatusOr<v1::TierReview> review = parts_.reviews->Run(
        MutationFor(call, ShortName(kRunTierReview), *request, request->request_id()), *parameters,
        request->dry_run());
    if (!review.ok()) return review.status();
    *response->mutable_review() = *std::move(review);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::GetTierReview(
    grpc::CallbackServerContext* context, const v1::GetTierReviewRequest* request,
    v1::GetTierReviewResponse* response) {
  return handler_.Run(context, kGetTierReview, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireReviewReader(call.principal); !s.ok()) return s;
    if (auto s = CheckReviewId(request->review_id()); !s.ok()) return s;
    absl::StatusOr<v1::TierReview> review = parts_.reviews->Get(request->review_id());
    if (!review.ok()) return review.status();
    *response->mutable_review() = *std::move(review);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::ListTierReviews(
    grpc::CallbackServerContext* context, const v1::ListTierReviewsRequest* request,
    v1::ListTierReviewsResponse* response) {
  return handler_.Run(context, kListTierReviews, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireReviewReader(call.principal); !s.ok()) return s;
    absl::StatusOr<int> page_size = NormalizePageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    const std::string digest = PageTokenKey(call, ShortName(kListTierReviews), *request);
    absl::StatusOr<std::optional<ReviewPosition>> after =
        DecodeReviewToken(request->page_token(), digest);
    if (!after.ok()) return after.status();
    std::optional<TierReviews::ReviewCursor> cursor;
    if (*after) cursor = TierReviews::ReviewCursor{(*after)->run_time, (*after)->review_id};
    absl::StatusOr<Page<v1::TierReview>> page = parts_.reviews->List(*page_size, cursor);
    if (!page.ok()) return page.status();
    for (v1::TierReview& review : page->items) *response->add_reviews() = std::move(review);
    if (page->more && !response->reviews().empty()) {
      const v1::TierReview& last = *response->reviews().rbegin();
      response->set_next_page_token(
          EncodeReviewToken({FromTimestamp(last.run_time()), last.id()}, digest));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::ListTierChanges(
    grpc::CallbackServerContext* context, const v1::ListTierChangesRequest* request,
    v1::ListTierChangesResponse* response) {
  return handler_.Run(context, kListTierChanges, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireReviewReader(call.principal); !s.ok()) return s;
    if (auto s = CheckReviewId(request->review_id()); !s.ok()) return s;
    absl::StatusOr<int> page_size = NormalizePageSize(request->page_size());
    if (!page_size.ok()) return page_size.status();
    const std::string digest = PageTokenKey(call, ShortName(kListTierChanges), *request);
    absl::StatusOr<int64_t> after = DecodePageToken(request->page_token(), digest);
    if (!after.ok()) return after.status();
    absl::StatusOr<Page<v1::TierChange>> page =
        parts_.reviews->ListChanges(request->review_id(), *page_size, *after);
    if (!page.ok()) return page.status();
    for (v1::TierChange& change : page->items) *response->add_changes() = std::move(change);
    if (page->more && !response->changes().empty()) {
      const int64_t last = response->changes().rbegin()->account().id();
      response->set_next_page_token(EncodePageToken(last, digest));
    }
    return absl::OkStatus();
  });
}

// ---- KPIs ----

grpc::ServerUnaryReactor* AnalyticsServiceImpl::AnalyzeRetention(
    grpc::CallbackServerContext* context, const v1::AnalyzeRetentionRequest* request,
    v1::AnalyzeRetentionResponse* response) {
  return handler_.Run(context, kAnalyzeRetention, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireAnalyst(call.principal); !s.ok()) return s;
    absl::StatusOr<Scope> scope = CheckScope(call.principal, request->period(), request->filter());
    if (!scope.ok()) return scope.status();
    absl::StatusOr<int> at_risk_months = CheckAtRiskMonths(request->at_risk_months());
    if (!at_risk_months.ok()) return at_risk_months.status();
    return ServeWhole<v1::AnalyzeRetentionResponse>(
        [&] { return parts_.kpis->Retention(*scope, *at_risk_months); }, response);
  });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::AnalyzePipeline(
    grpc::CallbackServerContext* context, const v1::AnalyzePipelineRequest* request,
    v1::AnalyzePipelineResponse* response) {
  return handler_.Run(context, kAnalyzePipeline, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireAnalyst(call.principal); !s.ok()) return s;
    absl::StatusOr<Scope> scope = CheckScope(call.principal, request->period(), request->filter());
    if (!scope.ok()) return scope.status();
    return ServeWhole<v1::AnalyzePipelineResponse>([&] { return parts_.kpis->Pipeline(*scope); },
                                                   response);
  });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::AnalyzeComplaints(
    grpc::CallbackServerContext* context, const v1::AnalyzeComplaintsRequest* request,
    v1::AnalyzeComplaintsResponse* response) {
  return handler_.Run(context, kAnalyzeComplaints, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireAnalyst(call.principal); !s.ok()) return s;
    absl::StatusOr<Scope> scope = CheckScope(call.principal, request->period(), request->filter());
    if (!scope.ok()) return scope.status();
    absl::StatusOr<int> threshold = CheckRepeatThreshold(request->repeat_threshold());
    if (!threshold.ok()) return threshold.status();
    return ServeWhole<v1::AnalyzeComplaintsResponse>(
        [&] { return parts_.kpis->Complaints(*scope, *threshold); }, response);
  });
}

grpc::ServerUnaryReactor* AnalyticsServiceImpl::GetManagerScorecard(
    grpc::CallbackServerContext* context, const v1::GetManagerScorecardRequest* request,
    v1::GetManagerScorecardResponse* response) {
  return handler_.Run(context, kGetManagerScorecard, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireAnalyst(call.principal); !s.ok()) return s;
    absl::StatusOr<Scope> scope = CheckScope(call.principal, request->period(), request->filter());
    if (!scope.ok()) return scope.status();
    absl::Status status = ServeWhole<v1::GetManagerScorecardResponse>(
        [&] { return parts_.kpis->Scorecards(*scope); }, response);
    if (status.ok()) KeepOwnCard(call.principal, *response);
    return status;
  });
}

// ---- one account ----

// The period defaults to the one the scheduled tier review reads. The ranks are among every
// active account whoever asks, so the two whole results are shared by all callers at a
// version: repeated 360 views read them from the cache instead of recomputing.
grpc::ServerUnaryReactor* AnalyticsServiceImpl::GetAccountStanding(
    grpc::CallbackServerContext* context, const v1::GetAccountStandingRequest* request,
    v1::GetAccountStandingResponse* response) {
  return handler_.Run(context, kGetAccountStanding, [=](const CallContext& call) -> absl::Status {
    if (auto s = RequireStandingReader(call.principal); !s.ok()) return s;
    if (auto s = CheckId("account_id", request->account_id()); !s.ok()) return s;
    const std::string period_text =
        request->period().empty() ? LastCompleteQuarter(call.now, parts_.projection->config().zone)
                                  : request->period();
    absl::StatusOr<Period> period = ParsePeriod("period", period_text);
    if (!period.ok()) return period.status();
    absl::Status status = Standing(call, request->account_id(), *period, response);
    if (SeesEveryAccount(call.principal) || call.principal.HasRole("system")) return status;
    if (absl::IsNotFound(status) ||
        (status.ok() && response->abc().account().owner_id() != call.principal.subject)) {
      response->Clear();
      return NotYourAccount(request->account_id());
    }
    return status;
  });
}

absl::Status AnalyticsServiceImpl::Standing(const CallContext& call, int64_t account_id,
                                            const Period& period,
                                            v1::GetAccountStandingResponse* response) {
  const Scope everyone{period, v1::AnalysisFilter()};
  absl::StatusOr<v1::AbcThresholds> thresholds = CheckAbcThresholds(v1::AbcThresholds());
  if (!thresholds.ok()) return thresholds.status();
  absl::StatusOr<ResultPager::Shared> abc = pager_.SharedResult<v1::AnalyzeAbcResponse>(
      QueryDigest(ShortName(kAnalyzeAbc), StandingAbcRequest(period)), call.now,
      [&] { return parts_.sales->Abc(everyone, *thresholds); });
  if (!abc.ok()) return abc.status();
  absl::StatusOr<v1::ScoreWeights> weights = CheckWeights(v1::ScoreWeights());
  if (!weights.ok()) return weights.status();
  absl::StatusOr<ResultPager::Shared> score = pager_.SharedResult<v1::ScoreAccountsResponse>(
      QueryDigest(ShortName(kScoreAccounts), StandingScoreRequest(period)), call.now,
      [&] { return parts_.scorer->Score(everyone, *weights); });
  if (!score.ok()) return score.status();
  if (!FindAccountRow(*abc->result, account_id, response->mutable_abc()) ||
      !FindAccountRow(*score->result, account_id, response->mutable_score())) {
    response->Clear();
    return absl::NotFoundError(absl::StrCat("analytics has no active account ", account_id));
  }
  response->set_period(period.label);
  response->set_accounts(static_cast<int32_t>(abc->result->row_count()));
  *response->mutable_facts() = FactsOf(abc->version);
  return absl::OkStatus();
}

}  // namespace kam::analytics
