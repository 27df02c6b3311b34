// AnalyticsService through a real gRPC channel with the production CallHandler (signed
// identities per role) against a private MariaDB whose facts are seeded with SQL: who may
// call what, every field check naming its field, account managers' access, the inputs
// (stored, idempotent, audited) and the paging of whole results.
#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "embedded_migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kam/analytics/v1/analytics.grpc.pb.h"
#include "services/analytics/service.h"
#include "services/common/call_handler.h"
#include "services/common/call_observer.h"
#include "services/common/identity.h"
#include "tests/support/schema_test.h"
#include "tests/support/test_helpers.h"

namespace kam::analytics {
namespace {

using test_support::Ok;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Stub = v1::AnalyticsService::Stub;

constexpr char kKey[] = "analytics-service-test-identity-key";

const Principal kDirector{"dir-zhao", {"director"}, ""};
const Principal kAnalyst{"analyst-qian", {"analyst"}, ""};
const Principal kAdmin{"ops-admin", {"admin"}, ""};
const Principal kSystem{"erp-feed", {"system"}, ""};
const Principal kLi{"mgr-li", {"account_manager"}, ""};  // owns accounts 1-3
const Principal kMa{"mgr-ma", {"account_manager"}, ""};  // owns account 4
const Principal kAgent{"agent-wu", {"service_agent"}, ""};
const Principal kHandler{"hd-qiu", {"handler"}, "quality"};

// Accounts 1..23, account i with revenue i x 1,000.00 CNY in July 2026; 24 is archived.
constexpr int kAccounts = 23;
constexpr int64_t kArchived = 24;
constexpr int64_t kUnknown = 999;

// Applies nothing: these tests never reach the accounts service.
class AcceptingTierWriter : public TierWriter {
 public:
  absl::Status SetTier(int64_t, av1::Tier, const std::string&, const std::string&,
                       const std::string&) override {
    return absl::OkStatus();
  }
};

template <typename Request, typename Response>
using Rpc = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&, Response*);

std::string OwnerOf(int64_t account) {
  if (account <= 3) return kLi.subject;
  if (account == 4) return kMa.subject;
  return "mgr-zhang";
}

class AnalyticsServiceTest : public test_support::SchemaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenSchema("analytics_rpc", Migrations(), absl::Seconds(5)));
    AnalyticsConfig config;
    ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &config.zone));
    projection_ = std::make_unique<Projection>(*pool_, config, nullptr);
    inputs_ = std::make_unique<InputsStore>(*pool_);
    sales_ = std::make_unique<SalesAnalyses>(*pool_, projection_->config());
    scorer_ = std::make_unique<Scorer>(*pool_, projection_->config());
    kpis_ = std::make_unique<KpiAnalyses>(*pool_, projection_->config());
    reviews_ = std::make_unique<TierReviews>(*pool_, *sales_, *scorer_, *projection_, tier_writer_);
    grpc_metrics_ = std::make_unique<GrpcServerMetrics>(registry_);
    workers_ = std::make_unique<WorkerPool>(4, 100);
    handler_ = std::make_unique<CallHandler>(kKey, workers_.get(), grpc_metrics_.get());
    // One result held at a time, so that a second query evicts the first.
    ResultCache::Limits paging;
    paging.max_entries = 1;
    service_ = std::make_unique<AnalyticsServiceImpl>(
        ServiceParts{projection_.get(), inputs_.get(), sales_.get(), scorer_.get(), kpis_.get(),
                     reviews_.get()},
        handler_.get(), paging);
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::AnalyticsService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    ASSERT_NO_FATAL_FAILURE(SeedFacts());
  }

  void TearDown() override {
    if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    workers_.reset();
  }

  // What the projection would have written for the accounts above: all tier D, each its
  // own group, revenue in July 2026 (cost 60 %).
  void SeedFacts() {
    std::vector<std::string> accounts, groups, months, activity;
    for (int64_t id = 1; id <= kArchived; ++id) {
      accounts.push_back(absl::StrCat(
          "(", id, ", 'Customer ", id, "', 1, '", id % 2 == 0 ? "Chemicals" : "Machinery", "', '",
          id % 3 == 0 ? "North" : "East", "', 1, 1, 1, 4, '", OwnerOf(id), "', 0, 1, ",
          id == kArchived ? 1 : 0, ", '2025-01-01 00:00:00', 1)"));
      groups.push_back(absl::StrCat("(", id, ", ", id, ", 0)"));
      months.push_back(absl::StrCat("(", id, ", 202607, ", id * 100000, ", ", id * 60000, ", ",
                                    id * 10, ", 1, 1, ", id * 100000, ")"));
      activity.push_back(
          absl::StrCat("(", id, ", '2026-07-10 02:00:00', 202607, '2026-07-10 02:00:00')"));
    }
    Exec(absl::StrCat(
        "INSERT INTO accounts (account_id, name, nature, industry, region, scale, "
        "lifecycle_stage, status, tier, owner_id, parent_id, credit_rating, archived, "
        "create_time, source_sequence) VALUES ",
        absl::StrJoin(accounts, ", "),
        "; INSERT INTO account_groups (group_id, account_id, depth) VALUES ",
        absl::StrJoin(groups, ", "),
        "; INSERT INTO account_month (account_id, month, revenue_minor, cost_minor, quantity, "
        "orders, order_lines, paid_minor) VALUES ",
        absl::StrJoin(months, ", "),
        "; INSERT INTO account_activity (account_id, first_order_time, first_order_month, "
        "last_order_time) VALUES ",
        absl::StrJoin(activity, ", ")));
  }

  // A call context as the gateway would send it: signed identity and a request id.
  static std::unique_ptr<grpc::ClientContext> As(const Principal& who, const std::string& method) {
    auto context = std::make_unique<grpc::ClientContext>();
    const SignedIdentity identity =
        SignIdentity(who, absl::StrCat("/kam.analytics.v1.AnalyticsService/", method), kKey,
                     absl::Now() + absl::Minutes(1));
    context->AddMetadata(kIdentityHeader, identity.payload);
    context->AddMetadata(kIdentitySignatureHeader, identity.signature);
    context->AddMetadata(kRequestIdHeader, "trace-analytics-test");
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }

  template <typename Request, typename Response>
  grpc::Status Call(Rpc<Request, Response> rpc, const std::string& method, const Principal& who,
                    const Request& request, Response* response) {
    return (stub_.get()->*rpc)(As(who, method).get(), request, response);
  }

  grpc::Status Abc(const Principal& who, const v1::AnalyzeAbcRequest& request,
                   v1::AnalyzeAbcResponse* out) {
    out->Clear();
    return Call(&Stub::AnalyzeAbc, "AnalyzeAbc", who, request, out);
  }

  grpc::Status PutInventory(const Principal& who, const v1::PutInventorySnapshotsRequest& request,
                            v1::PutInventorySnapshotsResponse* out) {
    return Call(&Stub::PutInventorySnapshots, "PutInventorySnapshots", who, request, out);
  }

  grpc::Status PutTargets(const Principal& who, const v1::PutAccountTargetsRequest& request,
                          v1::PutAccountTargetsResponse* out) {
    return Call(&Stub::PutAccountTargets, "PutAccountTargets", who, request, out);
  }

  // A target put through the API: moves the inputs' revision (the result version).
  void ChangeInputs() {
    v1::PutAccountTargetsRequest request;
    request.set_request_id(absl::StrCat("targets-", ++requests_));
    v1::AccountTarget* target = request.add_targets();
    target->set_account_id(5);
    target->set_year(2026);
    target->set_expected_share_bp(100 + requests_);
    v1::PutAccountTargetsResponse response;
    const grpc::Status status = PutTargets(kAnalyst, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  prometheus::Registry registry_;
  AcceptingTierWriter tier_writer_;
  std::unique_ptr<Projection> projection_;
  std::unique_ptr<InputsStore> inputs_;
  std::unique_ptr<SalesAnalyses> sales_;
  std::unique_ptr<Scorer> scorer_;
  std::unique_ptr<KpiAnalyses> kpis_;
  std::unique_ptr<TierReviews> reviews_;
  std::unique_ptr<GrpcServerMetrics> grpc_metrics_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<CallHandler> handler_;
  std::unique_ptr<AnalyticsServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Stub> stub_;
  int requests_ = 0;
};

v1::AnalyzeAbcRequest AbcRequest(const std::string& period, int page_size) {
  v1::AnalyzeAbcRequest request;
  request.set_period(period);
  request.set_page_size(page_size);
  return request;
}

void ExpectInvalid(const grpc::Status& status, const std::string& field, const std::string& what) {
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << what << ": " << status.error_message();
  EXPECT_THAT(status.error_message(), StartsWith(field + ":")) << what;
}

// ---------------------------------------------------------------------------------------
// Roles

TEST_F(AnalyticsServiceTest, EachMethodAdmitsTheRolesOfTheProtoAndRefusesTheOthers) {
  struct Method {
    std::string name;
    std::set<std::string> roles;
    std::function<grpc::Status(grpc::ClientContext*)> call;
  };
  // Analyses, scores and KPIs: the proto and the gateway policy leave `system` out.
  const std::set<std::string> analysts = {"director", "analyst", "account_manager", "admin"};
  const std::vector<Method> methods = {
      {"PutInventorySnapshots",
       {"system", "admin"},
       [&](grpc::ClientContext* c) {
         v1::PutInventorySnapshotsResponse r;
         return stub_->PutInventorySnapshots(c, {}, &r);
       }},
      {"PutAccountTargets",
       {"director", "analyst", "admin", "system"},
       [&](grpc::ClientContext* c) {
         v1::PutAccountTargetsResponse r;
         return stub_->PutAccountTargets(c, {}, &r);
       }},
      {"AnalyzeAbc", analysts,
       [&](grpc::ClientContext* c) {
         v1::AnalyzeAbcResponse r;
         return stub_->AnalyzeAbc(c, {}, &r);
       }},
      {"AnalyzeComposition", analysts,
       [&](grpc::ClientContext* c) {
         v1::AnalyzeCompositionResponse r;
         return stub_->AnalyzeComposition(c, {}, &r);
       }},
      {"AnalyzeTransactions", analysts,
       [&](grpc::ClientContext* c) {
         v1::AnalyzeTransactionsResponse r;
         return stub_->AnalyzeTransactions(c, {}, &r);
       }},
      {"AnalyzeProductMix", analysts,
       [&](grpc::ClientContext* c) {
         v1::AnalyzeProductMixResponse r;
         return stub_->AnalyzeProductMix(c, {}, &r);
       }},
      {"AnalyzeProducts", analysts,
       [&](grpc::ClientContext* c) {
         v1::AnalyzeProductsResponse r;
         return stub_->AnalyzeProducts(c, {}, &r);
       }},
      {"ScoreAccounts", analysts,
       [&](grpc::ClientContext* c) {
         v1::ScoreAccountsResponse r;
         return stub_->ScoreAccounts(c, {}, &r);
       }},
      {"RunTierReview",
       {"director", "admin", "system"},
       [&](grpc::ClientContext* c) {
         v1::RunTierReviewResponse r;
         return stub_->RunTierReview(c, {}, &r);
       }},
      {"GetTierReview",
       {"director", "analyst", "admin"},
       [&](grpc::ClientContext* c) {
         v1::GetTierReviewResponse r;
         return stub_->GetTierReview(c, {}, &r);
       }},
      {"ListTierReviews",
       {"director", "analyst", "admin"},
       [&](grpc::ClientContext* c) {
         v1::ListTierReviewsRequest q;
         q.set_page_size(-1);  // refused by the field check once the role passes
         v1::ListTierReviewsResponse r;
         return stub_->ListTierReviews(c, q, &r);
       }},
      {"ListTierChanges",
       {"director", "analyst", "admin"},
       [&](grpc::ClientContext* c) {
         v1::ListTierChangesResponse r;
         return stub_->ListTierChanges(c, {}, &r);
       }},
      {"AnalyzeRetention", analysts,
       [&](grpc::ClientContext* c) {
         v1::AnalyzeRetentionResponse r;
         return stub_->AnalyzeRetention(c, {}, &r);
       }},
      {"AnalyzePipeline", analysts,
       [&](grpc::ClientContext* c) {
         v1::AnalyzePipelineResponse r;
         return stub_->AnalyzePipeline(c, {}, &r);
       }},
      {"AnalyzeComplaints", analysts,
       [&](grpc::ClientContext* c) {
         v1::AnalyzeComplaintsResponse r;
         return stub_->AnalyzeComplaints(c, {}, &r);
       }},
      {"GetManagerScorecard", analysts,
       [&](grpc::ClientContext* c) {
         v1::GetManagerScorecardResponse r;
         return stub_->GetManagerScorecard(c, {}, &r);
       }},
  };
  const std::vector<Principal> callers = {kDirector, kAnalyst, kAdmin,  kSystem,
                                          kLi,       kAgent,   kHandler};
  for (const Method& method : methods) {
    for (const Principal& who : callers) {
      const grpc::Status status = method.call(As(who, method.name).get());
      // Admitted callers get past the role check to the first field check (every empty
      // request has a required field, or an invalid one set above).
      const grpc::StatusCode expected = method.roles.count(who.roles[0]) > 0
                                            ? grpc::StatusCode::INVALID_ARGUMENT
                                            : grpc::StatusCode::PERMISSION_DENIED;
      EXPECT_EQ(status.error_code(), expected)
          << method.name << " as " << who.roles[0] << ": " << status.error_message();
    }
  }
}

// ---------------------------------------------------------------------------------------
// Field checks

TEST_F(AnalyticsServiceTest, EveryBadAnalysisFieldIsNamed) {
  struct Case {
    std::string field;
    std::function<void(v1::AnalyzeAbcRequest&)> spoil;
  };
  const std::vector<Case> cases = {
      {"period", [](auto& r) { r.clear_period(); }},
      {"period", [](auto& r) { r.set_period("2026-13"); }},
      {"period", [](auto& r) { r.set_period("1999"); }},
      {"period", [](auto& r) { r.set_period("2026-Q5"); }},
      {"filter.region", [](auto& r) { r.mutable_filter()->set_region(std::string(101, 'x')); }},
      {"filter.region", [](auto& r) { r.mutable_filter()->set_region("East\nChina"); }},
      {"filter.industry", [](auto& r) { r.mutable_filter()->set_industry(std::string(101, 'y')); }},
      {"filter.owner_id", [](auto& r) { r.mutable_filter()->set_owner_id("mgr li"); }},
      {"filter.owner_id", [](auto& r) { r.mutable_filter()->set_owner_id(std::string(129, 'a')); }},
      {"filter.group_id", [](auto& r) { r.mutable_filter()->set_group_id(-1); }},
      {"filter.tier",
       [](auto& r) { r.mutable_filter()->set_tier(static_cast<kam::accounts::v1::Tier>(9)); }},
      {"page_size", [](auto& r) { r.set_page_size(-1); }},
      {"page_token", [](auto& r) { r.set_page_token("not-a-token"); }},
  };
  for (const Case& c : cases) {
    v1::AnalyzeAbcRequest request = AbcRequest("2026-07", 10);
    c.spoil(request);
    v1::AnalyzeAbcResponse response;
    ExpectInvalid(Abc(kDirector, request, &response), c.field, c.field);
  }
  // The same filter checks guard every analysis that takes a filter.
  v1::GetManagerScorecardRequest scorecard;
  scorecard.set_period("2026-07");
  scorecard.mutable_filter()->set_group_id(-4);
  v1::GetManagerScorecardResponse card;
  ExpectInvalid(
      Call(&Stub::GetManagerScorecard, "GetManagerScorecard", kDirector, scorecard, &card),
      "filter.group_id", "scorecard");
}

TEST_F(AnalyticsServiceTest, EveryBadMethodSpecificFieldIsNamed) {
  v1::AnalyzeCompositionRequest composition;
  composition.set_period("2026-07");
  v1::AnalyzeCompositionResponse composed;
  ExpectInvalid(
      Call(&Stub::AnalyzeComposition, "AnalyzeComposition", kDirector, composition, &composed),
      "dimension", "unspecified dimension");
  composition.set_dimension(static_cast<v1::Dimension>(42));
  ExpectInvalid(
      Call(&Stub::AnalyzeComposition, "AnalyzeComposition", kDirector, composition, &composed),
      "dimension", "unknown dimension");

  v1::AnalyzeProductMixRequest mix;
  mix.set_period("2026-07");
  v1::AnalyzeProductMixResponse mixed;
  ExpectInvalid(Call(&Stub::AnalyzeProductMix, "AnalyzeProductMix", kDirector, mix, &mixed),
                "account_id", "no account");
  mix.set_account_id(-3);
  ExpectInvalid(Call(&Stub::AnalyzeProductMix, "AnalyzeProductMix", kDirector, mix, &mixed),
                "account_id", "negative account");

  v1::AnalyzeRetentionRequest retention;
  retention.set_period("2026-Q3");
  v1::AnalyzeRetentionResponse retained;
  for (int months : {-1, 61}) {
    retention.set_at_risk_months(months);
    ExpectInvalid(
        Call(&Stub::AnalyzeRetention, "AnalyzeRetention", kDirector, retention, &retained),
        "at_risk_months", absl::StrCat(months, " months"));
  }

  v1::AnalyzeComplaintsRequest complaints;
  complaints.set_period("2026");
  v1::AnalyzeComplaintsResponse counted;
  for (int threshold : {-2, 1}) {
    complaints.set_repeat_threshold(threshold);
    ExpectInvalid(
        Call(&Stub::AnalyzeComplaints, "AnalyzeComplaints", kDirector, complaints, &counted),
        "repeat_threshold", absl::StrCat("threshold ", threshold));
  }

  v1::GetTierReviewRequest get;
  v1::GetTierReviewResponse got;
  for (const std::string& id : {std::string(), std::string("tr 1"), std::string(65, 'a')}) {
    get.set_review_id(id);
    ExpectInvalid(Call(&Stub::GetTierReview, "GetTierReview", kDirector, get, &got), "review_id",
                  absl::StrCat("review id '", id, "'"));
  }
  v1::ListTierChangesRequest changes;
  v1::ListTierChangesResponse changed;
  ExpectInvalid(Call(&Stub::ListTierChanges, "ListTierChanges", kDirector, changes, &changed),
                "review_id", "changes without a review");
  changes.set_review_id("tr-1");
  changes.set_page_size(-5);
  ExpectInvalid(Call(&Stub::ListTierChanges, "ListTierChanges", kDirector, changes, &changed),
                "page_size", "negative page size");
  changes.set_page_size(0);
  changes.set_page_token("garbled");
  ExpectInvalid(Call(&Stub::ListTierChanges, "ListTierChanges", kDirector, changes, &changed),
                "page_token", "garbled change token");
  v1::ListTierReviewsRequest reviews;
  reviews.set_page_token("garbled");
  v1::ListTierReviewsResponse listed;
  ExpectInvalid(Call(&Stub::ListTierReviews, "ListTierReviews", kDirector, reviews, &listed),
                "page_token", "garbled review token");

  v1::RunTierReviewRequest run;
  run.mutable_parameters()->set_period("2026");
  v1::RunTierReviewResponse ran;
  ExpectInvalid(Call(&Stub::RunTierReview, "RunTierReview", kDirector, run, &ran), "request_id",
                "review without request id");
}

// Thresholds, weights and review parameters are checked by the analyses' own functions
// (CheckAbcThresholds, CheckWeights, CheckReviewParameters); the edge must call them.
TEST_F(AnalyticsServiceTest, ThresholdsWeightsAndReviewParametersAreChecked) {
  v1::AnalyzeAbcRequest abc = AbcRequest("2026-07", 10);
  abc.mutable_thresholds()->set_a_share_bp(9600);
  abc.mutable_thresholds()->set_b_share_bp(9500);
  v1::AnalyzeAbcResponse classed;
  const grpc::Status thresholds = Abc(kDirector, abc, &classed);
  ExpectInvalid(thresholds, "thresholds.b_share_bp", "a above b");

  v1::ScoreAccountsRequest score;
  score.set_period("2026-07");
  score.mutable_weights()->set_revenue(0.5);  // sums to 0.5
  v1::ScoreAccountsResponse scored;
  const grpc::Status weights =
      Call(&Stub::ScoreAccounts, "ScoreAccounts", kDirector, score, &scored);
  ExpectInvalid(weights, "weights", "weights summing to 0.5");

  v1::RunTierReviewRequest run;
  run.set_request_id("review-bad-params");
  v1::RunTierReviewResponse ran;
  ExpectInvalid(Call(&Stub::RunTierReview, "RunTierReview", kDirector, run, &ran),
                "parameters.period", "review without period");
  run.mutable_parameters()->set_period("2026");
  run.mutable_parameters()->set_promote_at(1.5);
  ExpectInvalid(Call(&Stub::RunTierReview, "RunTierReview", kDirector, run, &ran),
                "parameters.promote_at", "promote_at above 1");
}

TEST_F(AnalyticsServiceTest, EveryBadSnapshotFieldIsNamed) {
  struct Case {
    std::string field;
    std::function<void(v1::PutInventorySnapshotsRequest&)> spoil;
  };
  const std::vector<Case> cases = {
      {"request_id", [](auto& r) { r.clear_request_id(); }},
      {"snapshots", [](auto& r) { r.clear_snapshots(); }},
      {"snapshots",
       [](auto& r) {
         for (int i = 0; i < 500; ++i) *r.add_snapshots() = r.snapshots(0);  // 501
       }},
      {"snapshots[0].product_code", [](auto& r) { r.mutable_snapshots(0)->clear_product_code(); }},
      {"snapshots[0].product_code",
       [](auto& r) { r.mutable_snapshots(0)->set_product_code("BOLT M8!"); }},
      {"snapshots[0].product_code",
       [](auto& r) { r.mutable_snapshots(0)->set_product_code(std::string(65, 'P')); }},
      {"snapshots[0].month", [](auto& r) { r.mutable_snapshots(0)->set_month("2026-13"); }},
      {"snapshots[0].month", [](auto& r) { r.mutable_snapshots(0)->set_month("2026-Q3"); }},
      {"snapshots[0].value.currency_code",
       [](auto& r) { r.mutable_snapshots(0)->mutable_value()->set_currency_code("USD"); }},
      {"snapshots[0].value.minor_units",
       [](auto& r) { r.mutable_snapshots(0)->mutable_value()->set_minor_units(-1); }},
      {"snapshots[0].quantity", [](auto& r) { r.mutable_snapshots(0)->set_quantity(-1); }},
      {"snapshots[1]",
       [](auto& r) {
         *r.add_snapshots() = r.snapshots(0);  // the same product and month twice
       }},
  };
  for (const Case& c : cases) {
    v1::PutInventorySnapshotsRequest request;
    request.set_request_id("inventory-bad");
    v1::InventorySnapshot* s = request.add_snapshots();
    s->set_product_code("BOLT-M8.zinc/100");
    s->set_month("2026-07");
    s->mutable_value()->set_currency_code("CNY");
    s->mutable_value()->set_minor_units(500000);
    s->set_quantity(1200);
    c.spoil(request);
    v1::PutInventorySnapshotsResponse response;
    ExpectInvalid(PutInventory(kSystem, request, &response), c.field, c.field);
  }
  EXPECT_EQ(One("SELECT COUNT(*) FROM inventory_snapshots"), "0");
}

TEST_F(AnalyticsServiceTest, EveryBadTargetFieldIsNamed) {
  struct Case {
    std::string field;
    std::function<void(v1::PutAccountTargetsRequest&)> spoil;
  };
  const std::vector<Case> cases = {
      {"request_id", [](auto& r) { r.set_request_id(std::string(129, 'r')); }},
      {"targets", [](auto& r) { r.clear_targets(); }},
      {"targets[0].account_id", [](auto& r) { r.mutable_targets(0)->set_account_id(0); }},
      {"targets[0].year", [](auto& r) { r.mutable_targets(0)->set_year(1999); }},
      {"targets[0].year", [](auto& r) { r.mutable_targets(0)->set_year(2101); }},
      {"targets[0].expected_share_bp",
       [](auto& r) { r.mutable_targets(0)->set_expected_share_bp(-1); }},
      {"targets[0].expected_share_bp",
       [](auto& r) { r.mutable_targets(0)->set_expected_share_bp(10001); }},
      {"targets[0].wallet_estimate.currency_code",
       [](auto& r) { r.mutable_targets(0)->mutable_wallet_estimate()->set_currency_code("EUR"); }},
      {"targets[0].wallet_estimate.minor_units",
       [](auto& r) { r.mutable_targets(0)->mutable_wallet_estimate()->set_minor_units(-100); }},
      {"targets[0].industry_influence",
       [](auto& r) { r.mutable_targets(0)->set_industry_influence(101); }},
      {"targets[0].industry_influence",
       [](auto& r) { r.mutable_targets(0)->set_industry_influence(-1); }},
      {"targets[1]", [](auto& r) { *r.add_targets() = r.targets(0); }},
  };
  for (const Case& c : cases) {
    v1::PutAccountTargetsRequest request;
    request.set_request_id("targets-bad");
    v1::AccountTarget* t = request.add_targets();
    t->set_account_id(7);
    t->set_year(2026);
    t->set_expected_share_bp(250);
    t->set_industry_influence(60);
    c.spoil(request);
    v1::PutAccountTargetsResponse response;
    ExpectInvalid(PutTargets(kAnalyst, request, &response), c.field, c.field);
  }
  EXPECT_EQ(One("SELECT COUNT(*) FROM account_targets"), "0");
}

// ---------------------------------------------------------------------------------------
// Inputs

TEST_F(AnalyticsServiceTest, SnapshotsAreStoredReplacedAndAuditedOncePerItem) {
  v1::PutInventorySnapshotsRequest request;
  request.set_request_id("inventory-1");
  for (const char* month : {"2026-07", "2026-08"}) {
    v1::InventorySnapshot* s = request.add_snapshots();
    s->set_product_code("BOLT-M8");
    s->set_month(month);
    s->mutable_value()->set_minor_units(500000);  // no currency: the reporting one
    s->set_quantity(1200);
  }
  v1::PutInventorySnapshotsResponse response;
  grpc::Status status = PutInventory(kSystem, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.stored(), 2);
  EXPECT_EQ(Rows("SELECT product_code, month, value_minor, quantity FROM inventory_snapshots "
                 "ORDER BY month"),
            (std::vector<std::vector<std::string>>{{"BOLT-M8", "202607", "500000", "1200"},
                                                   {"BOLT-M8", "202608", "500000", "1200"}}));
  EXPECT_EQ(Rows("SELECT actor, action, resource_type, resource_id, request_id, before_json "
                 "FROM audit_log ORDER BY id"),
            (std::vector<std::vector<std::string>>{
                {"erp-feed", "inventory_snapshot.put", "inventory_snapshot", "BOLT-M8",
                 "trace-analytics-test", "null"},
                {"erp-feed", "inventory_snapshot.put", "inventory_snapshot", "BOLT-M8",
                 "trace-analytics-test", "null"}}));
  EXPECT_EQ(One("SELECT COUNT(*) FROM outbox WHERE event_type = 'inventory_snapshot.put'"), "2");

  // Another request replaces July: the audit row keeps what it replaced.
  v1::PutInventorySnapshotsRequest july;
  july.set_request_id("inventory-2");
  *july.add_snapshots() = request.snapshots(0);
  july.mutable_snapshots(0)->mutable_value()->set_currency_code("CNY");
  july.mutable_snapshots(0)->mutable_value()->set_minor_units(650000);
  status = PutInventory(kAdmin, july, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.stored(), 1);
  EXPECT_EQ(One("SELECT value_minor FROM inventory_snapshots WHERE month = 202607"), "650000");
  EXPECT_EQ(One("SELECT value_minor FROM inventory_snapshots WHERE month = 202608"), "500000");
  const std::vector<std::vector<std::string>> last =
      Rows("SELECT actor, before_json, after_json FROM audit_log ORDER BY id DESC LIMIT 1");
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0][0], "ops-admin");
  EXPECT_THAT(last[0][1], HasSubstr("\"value_minor\":500000"));
  EXPECT_THAT(last[0][1], HasSubstr("\"month\":\"2026-07\""));
  EXPECT_THAT(last[0][2], HasSubstr("\"value_minor\":650000"));
}

TEST_F(AnalyticsServiceTest, ARetriedPutReturnsTheSameAndChangesNothing) {
  v1::PutInventorySnapshotsRequest request;
  request.set_request_id("inventory-retry");
  v1::InventorySnapshot* s = request.add_snapshots();
  s->set_product_code("NUT-M8");
  s->set_month("2026-07");
  s->mutable_value()->set_minor_units(1000);
  v1::PutInventorySnapshotsResponse first;
  ASSERT_TRUE(PutInventory(kSystem, request, &first).ok());
  // Someone else changes the row in between; the retry must not put the old value back.
  Exec("UPDATE inventory_snapshots SET value_minor = 2000");
  v1::PutInventorySnapshotsResponse again;
  grpc::Status status = PutInventory(kSystem, request, &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again.stored(), first.stored());
  EXPECT_EQ(One("SELECT value_minor FROM inventory_snapshots"), "2000");
  EXPECT_EQ(One("SELECT COUNT(*) FROM audit_log"), "1");

  s->mutable_value()->set_minor_units(3000);  // same request_id, another request
  status = PutInventory(kSystem, request, &again);
  ExpectInvalid(status, "request_id", "reused request id");
  EXPECT_EQ(One("SELECT value_minor FROM inventory_snapshots"), "2000");
  EXPECT_EQ(One("SELECT COUNT(*) FROM audit_log"), "1");
}

TEST_F(AnalyticsServiceTest, FiveHundredSnapshotsAreStoredInOneRequest) {
  v1::PutInventorySnapshotsRequest request;
  request.set_request_id("inventory-500");
  for (int i = 0; i < 500; ++i) {
    v1::InventorySnapshot* s = request.add_snapshots();
    s->set_product_code(absl::StrCat("SKU-", i % 250));
    s->set_month(i < 250 ? "2026-07" : "2026-08");
    s->mutable_value()->set_minor_units(i);
    s->set_quantity(i);
  }
  v1::PutInventorySnapshotsResponse response;
  grpc::Status status = PutInventory(kSystem, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.stored(), 500);
  // Sum of 0..499 = 499 x 500 / 2 = 124750.
  EXPECT_EQ(Rows("SELECT COUNT(*), SUM(value_minor) FROM inventory_snapshots"),
            (std::vector<std::vector<std::string>>{{"500", "124750"}}));
  EXPECT_EQ(One("SELECT value_minor FROM inventory_snapshots WHERE product_code = 'SKU-7' "
                "AND month = 202608"),
            "257");
  EXPECT_EQ(One("SELECT COUNT(*) FROM audit_log WHERE resource_type = 'inventory_snapshot'"),
            "500");
}

TEST_F(AnalyticsServiceTest, TargetsAreStoredReplacedIdempotentAndAudited) {
  v1::PutAccountTargetsRequest request;
  request.set_request_id("targets-1");
  for (int year : {2026, 2027}) {
    v1::AccountTarget* t = request.add_targets();
    t->set_account_id(7);
    t->set_year(year);
    t->set_expected_share_bp(250);
    t->mutable_wallet_estimate()->set_currency_code("CNY");
    t->mutable_wallet_estimate()->set_minor_units(90000000);
    t->set_industry_influence(60);
  }
  v1::PutAccountTargetsResponse response;
  grpc::Status status = PutTargets(kDirector, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.stored(), 2);
  EXPECT_EQ(Rows("SELECT account_id, year, expected_share_bp, wallet_estimate_minor, "
                 "industry_influence FROM account_targets ORDER BY year"),
            (std::vector<std::vector<std::string>>{{"7", "2026", "250", "90000000", "60"},
                                                   {"7", "2027", "250", "90000000", "60"}}));
  EXPECT_EQ(Rows("SELECT resource_type, resource_id, before_json FROM audit_log ORDER BY id"),
            (std::vector<std::vector<std::string>>{{"account_target", "7/2026", "null"},
                                                   {"account_target", "7/2027", "null"}}));

  v1::PutAccountTargetsResponse again;
  ASSERT_TRUE(PutTargets(kDirector, request, &again).ok());
  EXPECT_EQ(again.stored(), 2);
  EXPECT_EQ(One("SELECT COUNT(*) FROM audit_log"), "2");
  // The key is the caller's: another caller's same request_id is a request of its own.
  v1::PutAccountTargetsRequest replace = request;
  replace.mutable_targets()->RemoveLast();
  replace.mutable_targets(0)->set_expected_share_bp(400);
  ExpectInvalid(PutTargets(kDirector, replace, &again), "request_id", "reused by the director");
  ASSERT_TRUE(PutTargets(kAnalyst, replace, &again).ok());
  EXPECT_EQ(again.stored(), 1);
  EXPECT_EQ(One("SELECT expected_share_bp FROM account_targets WHERE year = 2026"), "400");
  EXPECT_THAT(One("SELECT before_json FROM audit_log ORDER BY id DESC LIMIT 1"),
              HasSubstr("\"expected_share_bp\":250"));
}

// ---------------------------------------------------------------------------------------
// Account managers

TEST_F(AnalyticsServiceTest, AManagerMayNotNameAnotherOwner) {
  v1::AnalyzeAbcRequest request = AbcRequest("2026-07", 10);
  request.mutable_filter()->set_owner_id(kMa.subject);
  v1::AnalyzeAbcResponse response;
  EXPECT_EQ(Abc(kLi, request, &response).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  v1::GetManagerScorecardRequest scorecard;
  scorecard.set_period("2026-07");
  scorecard.mutable_filter()->set_owner_id(kMa.subject);
  v1::GetManagerScorecardResponse card;
  EXPECT_EQ(
      Call(&Stub::GetManagerScorecard, "GetManagerScorecard", kLi, scorecard, &card).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  v1::AnalyzeRetentionRequest retention;
  retention.set_period("2026-07");
  retention.mutable_filter()->set_owner_id("mgr-zhang");
  v1::AnalyzeRetentionResponse retained;
  EXPECT_EQ(
      Call(&Stub::AnalyzeRetention, "AnalyzeRetention", kLi, retention, &retained).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AnalyticsServiceTest, AManagerSeesOnlyTheirOwnAccounts) {
  v1::AnalyzeAbcResponse mine;
  const grpc::Status status = Abc(kLi, AbcRequest("2026-07", 50), &mine);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::set<int64_t> ids;
  for (const v1::AbcRow& row : mine.rows()) ids.insert(row.account().id());
  EXPECT_EQ(ids, (std::set<int64_t>{1, 2, 3}));
  // Their own name is the same as none.
  v1::AnalyzeAbcRequest named = AbcRequest("2026-07", 50);
  named.mutable_filter()->set_owner_id(kLi.subject);
  v1::AnalyzeAbcResponse same;
  ASSERT_TRUE(Abc(kLi, named, &same).ok());
  EXPECT_EQ(same.rows_size(), 3);
  // 1,000 + 2,000 + 3,000 CNY.
  EXPECT_EQ(same.total_revenue().minor_units(), 600000);
}

TEST_F(AnalyticsServiceTest, AManagerCannotTellAnotherOwnersAccountFromAMissingOne) {
  v1::AnalyzeProductMixRequest request;
  request.set_period("2026-07");
  v1::AnalyzeProductMixResponse response;
  request.set_account_id(4);  // mgr-ma's
  const grpc::Status theirs =
      Call(&Stub::AnalyzeProductMix, "AnalyzeProductMix", kLi, request, &response);
  request.set_account_id(kUnknown);
  const grpc::Status missing =
      Call(&Stub::AnalyzeProductMix, "AnalyzeProductMix", kLi, request, &response);
  request.set_account_id(kArchived);
  const grpc::Status archived =
      Call(&Stub::AnalyzeProductMix, "AnalyzeProductMix", kLi, request, &response);
  EXPECT_EQ(theirs.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(archived.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(theirs.error_message(), "account 4 is not one of your accounts");
  EXPECT_EQ(missing.error_message(), "account 999 is not one of your accounts");

  request.set_account_id(2);  // mgr-li's own
  const grpc::Status own =
      Call(&Stub::AnalyzeProductMix, "AnalyzeProductMix", kLi, request, &response);
  EXPECT_TRUE(own.ok()) << own.error_message();
  EXPECT_EQ(response.account().id(), 2);
  // A director sees that the account is missing.
  request.set_account_id(kUnknown);
  EXPECT_EQ(Call(&Stub::AnalyzeProductMix, "AnalyzeProductMix", kDirector, request, &response)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AnalyticsServiceTest, AManagerGetsOnlyTheirOwnScorecard) {
  v1::GetManagerScorecardRequest request;
  request.set_period("2026-07");
  v1::GetManagerScorecardResponse all;
  const grpc::Status director =
      Call(&Stub::GetManagerScorecard, "GetManagerScorecard", kDirector, request, &all);
  ASSERT_TRUE(director.ok()) << director.error_message();
  EXPECT_EQ(all.managers_size(), 3);  // mgr-li, mgr-ma, mgr-zhang
  v1::GetManagerScorecardResponse own;
  const grpc::Status li =
      Call(&Stub::GetManagerScorecard, "GetManagerScorecard", kLi, request, &own);
  ASSERT_TRUE(li.ok()) << li.error_message();
  ASSERT_EQ(own.managers_size(), 1);
  EXPECT_EQ(own.managers(0).owner_id(), kLi.subject);
  EXPECT_EQ(own.managers(0).accounts(), 3);
}

// ---------------------------------------------------------------------------------------
// Paging whole results

// Every page of `request` from the first, as `who`; fails the test on an error.
std::vector<v1::AnalyzeAbcResponse> AllPages(
    const std::function<grpc::Status(const v1::AnalyzeAbcRequest&, v1::AnalyzeAbcResponse*)>& abc,
    v1::AnalyzeAbcRequest request) {
  std::vector<v1::AnalyzeAbcResponse> pages;
  do {
    v1::AnalyzeAbcResponse page;
    const grpc::Status status = abc(request, &page);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) break;
    request.set_page_token(page.next_page_token());
    pages.push_back(std::move(page));
  } while (!request.page_token().empty() && pages.size() < 100);
  return pages;
}

TEST_F(AnalyticsServiceTest, PagesConcatenateToTheWholeResultWithTheSummaryOnEach) {
  v1::AnalyzeAbcResponse whole;
  const grpc::Status status = Abc(kDirector, AbcRequest("2026-07", 500), &whole);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(whole.rows_size(), kAccounts);  // the archived account is left out
  EXPECT_TRUE(whole.next_page_token().empty());

  const std::vector<v1::AnalyzeAbcResponse> pages = AllPages(
      [&](const auto& r, auto* out) { return Abc(kDirector, r, out); }, AbcRequest("2026-07", 5));
  ASSERT_EQ(pages.size(), 5u);  // 23 rows by 5: 5 + 5 + 5 + 5 + 3
  std::vector<int64_t> ids;
  std::set<int64_t> distinct;
  for (const v1::AnalyzeAbcResponse& page : pages) {
    EXPECT_EQ(page.customers(), whole.customers());
    EXPECT_EQ(page.total_revenue().minor_units(), whole.total_revenue().minor_units());
    EXPECT_EQ(page.pareto_top20_share(), whole.pareto_top20_share());
    EXPECT_EQ(page.classes_size(), whole.classes_size());
    EXPECT_EQ(page.period(), "2026-07");
    for (const v1::AbcRow& row : page.rows()) {
      ids.push_back(row.account().id());
      distinct.insert(row.account().id());
    }
  }
  EXPECT_EQ(distinct.size(), ids.size()) << "a row came twice";
  std::vector<int64_t> expected;
  for (const v1::AbcRow& row : whole.rows()) expected.push_back(row.account().id());
  EXPECT_EQ(ids, expected);
  EXPECT_EQ(ids.front(), 23);  // the largest revenue first
}

TEST_F(AnalyticsServiceTest, ATamperedOrForeignTokenIsRefused) {
  v1::AnalyzeAbcResponse first;
  const grpc::Status status = Abc(kDirector, AbcRequest("2026-07", 5), &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::string token = first.next_page_token();
  ASSERT_FALSE(token.empty());

  v1::AnalyzeAbcRequest tampered = AbcRequest("2026-07", 5);
  std::string bad = token;
  bad[bad.size() / 3] = bad[bad.size() / 3] == 'x' ? 'y' : 'x';
  tampered.set_page_token(bad);
  v1::AnalyzeAbcResponse page;
  ExpectInvalid(Abc(kDirector, tampered, &page), "page_token", "tampered token");

  v1::AnalyzeAbcRequest other_period = AbcRequest("2026-Q3", 5);
  other_period.set_page_token(token);
  ExpectInvalid(Abc(kDirector, other_period, &page), "page_token", "another period's token");

  v1::AnalyzeAbcRequest other_filter = AbcRequest("2026-07", 5);
  other_filter.mutable_filter()->set_region("East");
  other_filter.set_page_token(token);
  ExpectInvalid(Abc(kDirector, other_filter, &page), "page_token", "another filter's token");

  // A manager's effective filter is their own accounts: a director's token is not theirs.
  v1::AnalyzeAbcRequest as_manager = AbcRequest("2026-07", 5);
  as_manager.set_page_token(token);
  ExpectInvalid(Abc(kLi, as_manager, &page), "page_token", "a director's token for a manager");

  // A page size may change between pages.
  v1::AnalyzeAbcRequest bigger = AbcRequest("2026-07", 50);
  bigger.set_page_token(token);
  ASSERT_TRUE(Abc(kDirector, bigger, &page).ok());
  EXPECT_EQ(page.rows_size(), kAccounts - 5);
  EXPECT_TRUE(page.next_page_token().empty());
}

TEST_F(AnalyticsServiceTest, ALaterPageIsServedFromTheHeldResultAfterAChange) {
  v1::AnalyzeAbcResponse first;
  const grpc::Status status = Abc(kDirector, AbcRequest("2026-07", 5), &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_NO_FATAL_FAILURE(ChangeInputs());
  // Revenue moves too: account 1 becomes the largest customer in the facts.
  Exec("UPDATE account_month SET revenue_minor = 99900000 WHERE account_id = 1");
  v1::AnalyzeAbcRequest next = AbcRequest("2026-07", 5);
  next.set_page_token(first.next_page_token());
  v1::AnalyzeAbcResponse second;
  const grpc::Status later = Abc(kDirector, next, &second);
  ASSERT_TRUE(later.ok()) << later.error_message();
  ASSERT_EQ(second.rows_size(), 5);
  EXPECT_EQ(second.rows(0).account().id(), 18);  // the first result's sixth customer
  EXPECT_EQ(second.total_revenue().minor_units(), first.total_revenue().minor_units());
}

TEST_F(AnalyticsServiceTest, AnEvictedResultIsComputedAgainWhileNothingChanged) {
  v1::AnalyzeAbcResponse first;
  const grpc::Status status = Abc(kDirector, AbcRequest("2026-07", 5), &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::AnalyzeAbcResponse other;
  ASSERT_TRUE(Abc(kDirector, AbcRequest("2026-Q3", 5), &other).ok());  // evicts the first
  v1::AnalyzeAbcRequest next = AbcRequest("2026-07", 5);
  next.set_page_token(first.next_page_token());
  v1::AnalyzeAbcResponse second;
  const grpc::Status later = Abc(kDirector, next, &second);
  ASSERT_TRUE(later.ok()) << later.error_message();
  ASSERT_EQ(second.rows_size(), 5);
  EXPECT_EQ(second.rows(0).account().id(), 18);  // 23, 22, 21, 20, 19 came first
}

TEST_F(AnalyticsServiceTest, AnEvictedResultWhoseInputsChangedMustStartAgain) {
  v1::AnalyzeAbcResponse first;
  const grpc::Status status = Abc(kDirector, AbcRequest("2026-07", 5), &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::AnalyzeAbcResponse other;
  ASSERT_TRUE(Abc(kDirector, AbcRequest("2026-Q3", 5), &other).ok());  // evicts the first
  ASSERT_NO_FATAL_FAILURE(ChangeInputs());
  v1::AnalyzeAbcRequest next = AbcRequest("2026-07", 5);
  next.set_page_token(first.next_page_token());
  v1::AnalyzeAbcResponse second;
  const grpc::Status later = Abc(kDirector, next, &second);
  EXPECT_EQ(later.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << later.error_message();
  EXPECT_THAT(later.error_message(), HasSubstr("request the first page again"));
  // The first page again works, at the new version.
  ASSERT_TRUE(Abc(kDirector, AbcRequest("2026-07", 5), &first).ok());
  next.set_page_token(first.next_page_token());
  EXPECT_TRUE(Abc(kDirector, next, &second).ok());
}

TEST_F(AnalyticsServiceTest, AnEvictedResultWhoseStreamsMovedMustStartAgain) {
  Exec(
      "INSERT INTO consumer_cursors (stream, cursor_position, updated_at) "
      "VALUES ('accounts', 40, UTC_TIMESTAMP(6)), ('complaints', 7, UTC_TIMESTAMP(6))");
  v1::AnalyzeAbcResponse first;
  const grpc::Status status = Abc(kDirector, AbcRequest("2026-07", 5), &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(first.facts().accounts_sequence(), 40);
  EXPECT_EQ(first.facts().complaints_sequence(), 7);
  v1::AnalyzeAbcResponse other;
  ASSERT_TRUE(Abc(kDirector, AbcRequest("2026-Q3", 5), &other).ok());  // evicts the first
  Exec("UPDATE consumer_cursors SET cursor_position = 41 WHERE stream = 'accounts'");
  v1::AnalyzeAbcRequest next = AbcRequest("2026-07", 5);
  next.set_page_token(first.next_page_token());
  v1::AnalyzeAbcResponse second;
  const grpc::Status later = Abc(kDirector, next, &second);
  EXPECT_EQ(later.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << later.error_message();
}

// ---------------------------------------------------------------------------------------
// Tier review lists

TEST_F(AnalyticsServiceTest, ReviewsAndTheirChangesPageWithKeysetTokens) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    v1::RunTierReviewRequest run;
    run.set_request_id(absl::StrCat("review-", i));
    run.mutable_parameters()->set_period("2026-07");
    run.set_dry_run(true);
    v1::RunTierReviewResponse ran;
    const grpc::Status status = Call(&Stub::RunTierReview, "RunTierReview", kDirector, run, &ran);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ids.push_back(ran.review().id());
    absl::SleepFor(absl::Milliseconds(2));  // distinct run times
  }
  v1::GetTierReviewRequest get;
  get.set_review_id(ids[0]);
  v1::GetTierReviewResponse got;
  ASSERT_TRUE(Call(&Stub::GetTierReview, "GetTierReview", kAnalyst, get, &got).ok());
  EXPECT_EQ(got.review().id(), ids[0]);

  std::vector<std::string> listed;
  v1::ListTierReviewsRequest list;
  list.set_page_size(1);
  do {
    v1::ListTierReviewsResponse page;
    const grpc::Status status =
        Call(&Stub::ListTierReviews, "ListTierReviews", kAnalyst, list, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const v1::TierReview& r : page.reviews()) listed.push_back(r.id());
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty() && listed.size() < 10);
  EXPECT_EQ(listed, (std::vector<std::string>{ids[2], ids[1], ids[0]}));  // newest first

  std::vector<int64_t> changed;
  v1::ListTierChangesRequest changes;
  changes.set_review_id(ids[0]);
  changes.set_page_size(4);
  do {
    v1::ListTierChangesResponse page;
    const grpc::Status status =
        Call(&Stub::ListTierChanges, "ListTierChanges", kDirector, changes, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const v1::TierChange& c : page.changes()) changed.push_back(c.account().id());
    changes.set_page_token(page.next_page_token());
  } while (!changes.page_token().empty() && changed.size() < 100);
  EXPECT_EQ(static_cast<int>(changed.size()), got.review().promotions() + got.review().demotions());
  EXPECT_TRUE(std::is_sorted(changed.begin(), changed.end()));
  EXPECT_EQ(std::set<int64_t>(changed.begin(), changed.end()).size(), changed.size());

  // A change token belongs to its review.
  v1::ListTierChangesRequest first_page;
  first_page.set_review_id(ids[0]);
  first_page.set_page_size(1);
  v1::ListTierChangesResponse page;
  ASSERT_TRUE(Call(&Stub::ListTierChanges, "ListTierChanges", kDirector, first_page, &page).ok());
  if (!page.next_page_token().empty()) {
    v1::ListTierChangesRequest other = first_page;
    other.set_review_id(ids[1]);
    other.set_page_token(page.next_page_token());
    ExpectInvalid(Call(&Stub::ListTierChanges, "ListTierChanges", kDirector, other, &page),
                  "page_token", "another review's token");
  }
  get.set_review_id("tr-unknown");
  EXPECT_EQ(Call(&Stub::GetTierReview, "GetTierReview", kDirector, get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------
// GetAccountStanding (the customer 360 view's analytics section)

v1::GetAccountStandingRequest StandingRequest(int64_t account_id, const std::string& period) {
  v1::GetAccountStandingRequest request;
  request.set_account_id(account_id);
  request.set_period(period);
  return request;
}

// Revenue i x 1,000.00 for accounts 1..23: 276 units in all. Account 12 has 13..23 (198
// units, 71.7 %) before it: A; account 11 has 210 (76.1 %): B; account 2 has 273 (98.9 %): C.
TEST_F(AnalyticsServiceTest, AStandingIsTheAccountsRowsRankedAmongAllActiveAccounts) {
  v1::GetAccountStandingResponse standing;
  grpc::Status status = Call(&Stub::GetAccountStanding, "GetAccountStanding", kDirector,
                             StandingRequest(12, "2026-Q3"), &standing);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(standing.period(), "2026-Q3");
  EXPECT_EQ(standing.accounts(), kAccounts) << "the archived account is not ranked";
  EXPECT_EQ(standing.abc().account().id(), 12);
  EXPECT_EQ(standing.abc().account().owner_id(), OwnerOf(12));
  EXPECT_EQ(standing.abc().rank(), 12);
  EXPECT_EQ(standing.abc().revenue().minor_units(), 1'200'000);
  EXPECT_EQ(standing.abc().abc_class(), v1::ABC_CLASS_A);
  EXPECT_NEAR(standing.abc().share(), 12.0 / 276, 1e-9);
  EXPECT_NEAR(standing.abc().cumulative_share(), 210.0 / 276, 1e-9);

  ASSERT_TRUE(Call(&Stub::GetAccountStanding, "GetAccountStanding", kDirector,
                   StandingRequest(11, "2026-Q3"), &standing)
                  .ok());
  EXPECT_EQ(standing.abc().rank(), 13);
  EXPECT_EQ(standing.abc().abc_class(), v1::ABC_CLASS_B);

  // The score row is ScoreAccounts' row of the account over everyone, default weights.
  v1::ScoreAccountsRequest everyone;
  everyone.set_period("2026-Q3");
  everyone.set_page_size(100);
  v1::ScoreAccountsResponse scores;
  ASSERT_TRUE(Call(&Stub::ScoreAccounts, "ScoreAccounts", kDirector, everyone, &scores).ok());
  const auto row = std::find_if(scores.rows().begin(), scores.rows().end(),
                                [](const v1::ScoreRow& r) { return r.account().id() == 11; });
  ASSERT_NE(row, scores.rows().end());
  EXPECT_EQ(standing.score().SerializeAsString(), row->SerializeAsString());
  EXPECT_EQ(standing.score().rank(), row->rank());
  EXPECT_GT(standing.score().score(), 0);
}

TEST_F(AnalyticsServiceTest, AManagersStandingIsRankedAmongEveryoneButOnlyForTheirAccounts) {
  v1::GetAccountStandingResponse standing;
  grpc::Status own = Call(&Stub::GetAccountStanding, "GetAccountStanding", kLi,
                          StandingRequest(2, "2026-Q3"), &standing);
  ASSERT_TRUE(own.ok()) << own.error_message();
  EXPECT_EQ(standing.abc().rank(), 22) << "ranked among all 23 accounts, not mgr-li's 3";
  EXPECT_EQ(standing.accounts(), kAccounts);
  EXPECT_EQ(standing.abc().abc_class(), v1::ABC_CLASS_C);
  EXPECT_NEAR(standing.abc().cumulative_share(), 275.0 / 276, 1e-9);

  const grpc::Status theirs = Call(&Stub::GetAccountStanding, "GetAccountStanding", kLi,
                                   StandingRequest(4, "2026-Q3"), &standing);
  EXPECT_FALSE(standing.has_abc()) << "nothing of another owner's account";
  const grpc::Status missing = Call(&Stub::GetAccountStanding, "GetAccountStanding", kLi,
                                    StandingRequest(kUnknown, "2026-Q3"), &standing);
  const grpc::Status archived = Call(&Stub::GetAccountStanding, "GetAccountStanding", kLi,
                                     StandingRequest(kArchived, "2026-Q3"), &standing);
  EXPECT_EQ(theirs.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(archived.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(theirs.error_message(), "account 4 is not one of your accounts");
  EXPECT_EQ(missing.error_message(), "account 999 is not one of your accounts");

  // Callers who see every account learn that analytics does not know it.
  EXPECT_EQ(Call(&Stub::GetAccountStanding, "GetAccountStanding", kDirector,
                 StandingRequest(kUnknown, "2026-Q3"), &standing)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Call(&Stub::GetAccountStanding, "GetAccountStanding", kAnalyst,
                 StandingRequest(kArchived, "2026-Q3"), &standing)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Call(&Stub::GetAccountStanding, "GetAccountStanding", kSystem,
                   StandingRequest(4, "2026-Q3"), &standing)
                  .ok())
      << "the 360 view's machine callers";
  for (const Principal& who : {kAgent, kHandler}) {
    EXPECT_EQ(Call(&Stub::GetAccountStanding, "GetAccountStanding", who,
                   StandingRequest(4, "2026-Q3"), &standing)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << who.roles[0];
  }
}

TEST_F(AnalyticsServiceTest, AStandingDefaultsToTheLastCompleteQuarterAndNamesBadFields) {
  v1::GetAccountStandingResponse standing;
  const grpc::Status status = Call(&Stub::GetAccountStanding, "GetAccountStanding", kDirector,
                                   StandingRequest(5, ""), &standing);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(standing.period(), LastCompleteQuarter(absl::Now(), projection_->config().zone));
  EXPECT_EQ(standing.accounts(), kAccounts);
  EXPECT_EQ(standing.abc().account().id(), 5);

  ExpectInvalid(Call(&Stub::GetAccountStanding, "GetAccountStanding", kDirector,
                     StandingRequest(0, "2026-Q3"), &standing),
                "account_id", "no account");
  ExpectInvalid(Call(&Stub::GetAccountStanding, "GetAccountStanding", kDirector,
                     StandingRequest(5, "2026-Q5"), &standing),
                "period", "no fifth quarter");
}

}  // namespace
}  // namespace kam::analytics
