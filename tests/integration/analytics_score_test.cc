// The key-account score and the tier review against a private MariaDB with the analytics
// migrations: facts seeded by SQL, the score checked against a hand calculation, and reviews
// recorded, applied through a fake AccountService.SetTier, retried and paged.
#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "embedded_migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/analytics/inputs_store.h"
#include "services/analytics/projection.h"
#include "services/analytics/sales_analysis.h"
#include "services/analytics/score.h"
#include "services/analytics/tier_review.h"
#include "services/common/idempotency.h"
#include "services/common/identity.h"
#include "services/common/proto_support.h"
#include "tests/support/schema_test.h"
#include "tests/support/test_helpers.h"

namespace kam::analytics {
namespace {

using test_support::Ok;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
namespace av1 = kam::accounts::v1;

// 2026-07-02 09:00:00.123456 UTC, just after the reviewed quarter.
const absl::Time kNow = absl::FromUnixMicros(1'782'982'800'123'456);

// Records every SetTier; fails the accounts in `refuse` with their status, and every call with
// `fail_all` when set.
class FakeTierWriter : public TierWriter {
 public:
  struct Call {
    int64_t account_id;
    av1::Tier tier;
    std::string reason;
    std::string review_id;
    std::string request_id;
  };

  absl::Status SetTier(int64_t account_id, av1::Tier tier, const std::string& reason,
                       const std::string& review_id, const std::string& request_id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.push_back({account_id, tier, reason, review_id, request_id});
    if (!fail_all_.ok()) return fail_all_;
    auto refused = refuse_.find(account_id);
    return refused == refuse_.end() ? absl::OkStatus() : refused->second;
  }

  void FailAll(absl::Status status) {
    std::lock_guard<std::mutex> lock(mutex_);
    fail_all_ = std::move(status);
  }
  void Refuse(int64_t account_id, absl::Status status) {
    std::lock_guard<std::mutex> lock(mutex_);
    refuse_[account_id] = std::move(status);
  }
  void Heal() {
    std::lock_guard<std::mutex> lock(mutex_);
    fail_all_ = absl::OkStatus();
    refuse_.clear();
  }
  std::vector<Call> calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Call> sorted = calls_;
    std::sort(sorted.begin(), sorted.end(),
              [](const Call& x, const Call& y) { return x.account_id < y.account_id; });
    return sorted;
  }
  std::vector<int64_t> called_accounts() {
    std::vector<int64_t> ids;
    for (const Call& call : calls()) ids.push_back(call.account_id);
    return ids;
  }

 private:
  std::mutex mutex_;
  std::vector<Call> calls_;
  absl::Status fail_all_;
  std::map<int64_t, absl::Status> refuse_;
};

class AnalyticsScoreTest : public test_support::SchemaTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenSchema("analytics_score", Migrations(), absl::Seconds(10)));
    config_.zone = absl::UTCTimeZone();
    projection_ = std::make_unique<Projection>(*pool_, config_, nullptr);
    sales_ = std::make_unique<SalesAnalyses>(*pool_, config_);
    scorer_ = std::make_unique<Scorer>(*pool_, config_);
    reviews_ =
        std::make_unique<TierReviews>(*pool_, *sales_, *scorer_, *projection_, writer_, nullptr);
  }

  void Account(int64_t id, av1::Tier tier, av1::CreditRating credit,
               const std::string& region = "east", bool archived = false) {
    Exec(absl::StrCat(
        "INSERT INTO accounts (account_id, name, nature, industry, region, scale, "
        "lifecycle_stage, status, tier, owner_id, parent_id, credit_rating, archived, "
        "create_time, source_sequence) VALUES (",
        id, ", 'Account ", id, "', 1, 'machinery', '", region, "', 1, 1, 1, ", tier,
        ", 'mgr-li', 0, ", credit, ", ", archived ? 1 : 0, ", '2025-01-01 00:00:00', ", id, ")"));
  }
  void Month(int64_t account, int month, int64_t revenue, int64_t cost, int64_t quantity,
             int64_t paid, int64_t contract) {
    Exec(
        absl::StrCat("INSERT INTO account_month (account_id, month, revenue_minor, cost_minor, "
                     "quantity, orders, order_lines, paid_minor, contract_value_minor, "
                     "contracts_signed) VALUES (",
                     account, ", ", month, ", ", revenue, ", ", cost, ", ", quantity, ", 1, 1, ",
                     paid, ", ", contract, ", ", contract > 0 ? 1 : 0, ")"));
  }
  // `valid`: "1", "0" or "NULL" (not judged yet).
  void Complaint(int64_t id, int64_t account, int month, const std::string& valid) {
    Exec(absl::StrCat(
        "INSERT INTO complaint_facts (complaint_id, account_id, category, severity, state, "
        "account_tier, create_time, create_month, valid, judgment_breached, "
        "resolution_breached, source_sequence) VALUES (",
        id, ", ", account, ", 1, 1, 1, 1, '2026-05-01 00:00:00', ", month, ", ", valid, ", 0, 0, ",
        id, ")"));
  }
  void Target(int64_t account, int year, int influence) {
    Exec(
        absl::StrCat("INSERT INTO account_targets (account_id, year, expected_share_bp, "
                     "wallet_estimate_minor, industry_influence, updated_at) VALUES (",
                     account, ", ", year, ", 0, 0, ", influence, ", '2026-01-01 00:00:00')"));
  }

  Scope QuarterScope(const std::string& label = "2026-Q2") {
    return Scope{ParsePeriod("period", label).value(), v1::AnalysisFilter()};
  }

  FakeTierWriter writer_;
  AnalyticsConfig config_;
  std::unique_ptr<Projection> projection_;
  std::unique_ptr<SalesAnalyses> sales_;
  std::unique_ptr<Scorer> scorer_;
  std::unique_ptr<TierReviews> reviews_;
};

// ---- The score ----

class ScorerTest : public AnalyticsScoreTest {
 protected:
  // The unit test's three accounts, spread over months, with facts that must not count.
  void SeedThreeAccounts() {
    Account(1, av1::TIER_B, av1::CREDIT_RATING_AAA);
    Account(2, av1::TIER_B, av1::CREDIT_RATING_BBB);
    Account(3, av1::TIER_C, av1::CREDIT_RATING_UNSPECIFIED, "west");
    Account(4, av1::TIER_A, av1::CREDIT_RATING_AAA, "east", /*archived=*/true);
    // Account 1: Q2 sums contract 1000, revenue 10000, cost 6000, quantity 100, paid 8000.
    Month(1, 202604, 6000, 3500, 60, 5000, 1000);
    Month(1, 202606, 4000, 2500, 40, 3000, 0);
    Month(1, 202603, 99999, 0, 1, 99999, 99999);  // March: Q1
    Month(1, 202607, 99999, 0, 1, 99999, 99999);  // July: Q3
    Target(1, 2026, 80);
    // Account 2: revenue 5000, cost 4000, quantity 25, paid 6000; 2 valid complaints in Q2.
    Month(2, 202605, 5000, 4000, 25, 6000, 0);
    Complaint(1, 2, 202604, "1");
    Complaint(2, 2, 202606, "1");
    Complaint(3, 2, 202605, "0");     // judged invalid
    Complaint(4, 2, 202605, "NULL");  // not judged yet
    Complaint(5, 2, 202607, "1");     // Q3
    Target(2, 2026, 50);
    Target(2, 2025, 100);  // another year
    // Account 3: a contract but no orders; one valid complaint.
    Month(3, 202605, 0, 0, 0, 0, 1000);
    Complaint(6, 3, 202605, "1");
    // Account 4 is archived: outsized, and left out of the ranks.
    Month(4, 202605, 1000000, 0, 1, 1000000, 1000000);
    Complaint(7, 4, 202605, "1");
  }
};

TEST_F(ScorerTest, ScoresMatchTheHandCalculation) {
  SeedThreeAccounts();
  // The same inputs as ScoreAllTest.ThreeAccountsMatchTheHandCalculation (tests/unit):
  //   account 1: .1125 + .025 + .25 + .12 + .15 + .10 + .04 + .10 = 0.8975
  //   account 2: 0 + .05 + .125 + .15 + .075 + 0 + .025 + .055 = 0.48
  //   account 3: .1125 + 0 + 0 + 0 + 0 + .05 + 0 + 0 = 0.1625
  absl::StatusOr<v1::ScoreAccountsResponse> scored =
      scorer_->Score(QuarterScope(), v1::ScoreWeights());
  ASSERT_TRUE(Ok(scored));
  EXPECT_EQ(scored->period(), "2026-Q2");
  EXPECT_DOUBLE_EQ(scored->weights().revenue(), 0.25);
  EXPECT_EQ(scored->accounts(), 3);
  ASSERT_EQ(scored->rows_size(), 3);
  EXPECT_EQ(scored->rows(0).account().id(), 1);
  EXPECT_EQ(scored->rows(0).account().name(), "Account 1");
  EXPECT_EQ(scored->rows(0).account().tier(), av1::TIER_B);
  EXPECT_NEAR(scored->rows(0).score(), 0.8975, 1e-12);
  EXPECT_NEAR(scored->rows(1).score(), 0.48, 1e-12);
  EXPECT_NEAR(scored->rows(2).score(), 0.1625, 1e-12);
  EXPECT_EQ(scored->rows(2).rank(), 3);

  const v1::ScoreBreakdown& one = scored->rows(0).breakdown();
  EXPECT_DOUBLE_EQ(one.contract_volume().raw(), 1000);
  EXPECT_DOUBLE_EQ(one.revenue().raw(), 10000);
  EXPECT_DOUBLE_EQ(one.profit().raw(), 4000);
  EXPECT_DOUBLE_EQ(one.unit_price().raw(), 100);
  EXPECT_DOUBLE_EQ(one.collection_rate().raw(), 0.8);
  EXPECT_DOUBLE_EQ(one.industry_influence().raw(), 80);
  const v1::ScoreBreakdown& two = scored->rows(1).breakdown();
  EXPECT_DOUBLE_EQ(two.quality_loss().raw(), 2);
  EXPECT_DOUBLE_EQ(two.industry_influence().raw(), 50);
  EXPECT_DOUBLE_EQ(scored->rows(2).breakdown().quality_loss().raw(), 1);
}

TEST_F(ScorerTest, TheFilterNarrowsTheRankedSet) {
  SeedThreeAccounts();
  v1::AnalysisFilter east;
  east.set_region("east");
  v1::ScoreWeights revenue_only;
  revenue_only.set_revenue(1);
  // Accounts 1 and 2 only (n - 1 = 1): revenue 10000 -> 1, 5000 -> 0.
  absl::StatusOr<v1::ScoreAccountsResponse> scored =
      scorer_->Score(Scope{QuarterScope().period, east}, revenue_only);
  ASSERT_TRUE(Ok(scored));
  ASSERT_EQ(scored->rows_size(), 2);
  EXPECT_EQ(scored->rows(0).account().id(), 1);
  EXPECT_DOUBLE_EQ(scored->rows(0).score(), 1);
  EXPECT_DOUBLE_EQ(scored->rows(1).score(), 0);
}

TEST_F(ScorerTest, BadWeightsAreRefusedAndNoAccountsIsNoRows) {
  v1::ScoreWeights weights;
  weights.set_revenue(0.5);
  absl::Status status = scorer_->Score(QuarterScope(), weights).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("weights:"));
  absl::StatusOr<v1::ScoreAccountsResponse> empty =
      scorer_->Score(QuarterScope(), v1::ScoreWeights());
  ASSERT_TRUE(Ok(empty));
  EXPECT_EQ(empty->accounts(), 0);
}

// ---- The tier review ----

class TierReviewTest : public AnalyticsScoreTest {
 protected:
  // Q2 revenue 7000, 2000, 800, 200, 0 (total 10000). ABC 75/95: account 1 A (0 % before),
  // 2 A (70 % before), 3 B (90 % before), 4 C (98 % before), 5 C without revenue.
  // With revenue as the only weight the score is the revenue rank over n - 1 = 4:
  // 1 -> 1, 2 -> 0.75, 3 -> 0.5, 4 -> 0.25, 5 -> 0. With promote_at 0.8, demote_below 0.2:
  //   1: class A, 1 >= 0.8, already A          -> A (now C: promotion)
  //   2: class A, 0.75                          -> A (now A: unchanged)
  //   3: class B, 0.5                           -> B (now A: demotion)
  //   4: class C, 0.25                          -> C (now C: unchanged)
  //   5: no revenue -> D, 0 < 0.2, already D    -> D (now B: demotion)
  // Account 6 is archived and never reviewed.
  void SeedFiveAccounts() {
    const av1::Tier now[] = {av1::TIER_C, av1::TIER_A, av1::TIER_A, av1::TIER_C, av1::TIER_B};
    const int64_t revenue[] = {7000, 2000, 800, 200, 0};
    for (int i = 0; i < 5; ++i) {
      Account(i + 1, now[i], av1::CREDIT_RATING_A);
      if (revenue[i] > 0) Month(i + 1, 202605, revenue[i], 0, 1, 0, 0);
    }
    Account(6, av1::TIER_D, av1::CREDIT_RATING_A, "east", /*archived=*/true);
    Month(6, 202605, 50000, 0, 1, 0, 0);
  }

  v1::TierReviewParameters Parameters(double promote_at = 0.8) {
    v1::TierReviewParameters parameters;
    parameters.set_period("2026-Q2");
    parameters.mutable_weights()->set_revenue(1);
    parameters.set_promote_at(promote_at);
    parameters.set_demote_below(0.2);
    return CheckReviewParameters(parameters).value();
  }

  Mutation MutationOf(const std::string& request_id, const v1::TierReviewParameters& parameters,
                      bool dry_run, absl::Time now = kNow) {
    v1::RunTierReviewRequest request;
    request.set_request_id(request_id);
    *request.mutable_parameters() = parameters;
    request.set_dry_run(dry_run);
    return Mutation{"dir-zhao", request_id, RequestFingerprint("RunTierReview", request),
                    "trace-1",  now,        ""};
  }

  absl::StatusOr<v1::TierReview> Run(const std::string& request_id, bool dry_run = false,
                                     const v1::TierReviewParameters* parameters = nullptr,
                                     absl::Time now = kNow) {
    const v1::TierReviewParameters p = parameters ? *parameters : Parameters();
    return reviews_->Run(MutationOf(request_id, p, dry_run, now), p, dry_run);
  }

  std::vector<v1::TierChange> Changes(const std::string& review_id) {
    absl::StatusOr<Page<v1::TierChange>> page = reviews_->ListChanges(review_id, 100, 0);
    EXPECT_TRUE(Ok(page));
    return page.ok() ? page->items : std::vector<v1::TierChange>{};
  }

  static double LastRun(prometheus::Registry& registry) {
    for (const prometheus::MetricFamily& family : registry.Collect()) {
      if (family.name == "kam_tier_review_last_run_timestamp_seconds") {
        return family.metric.at(0).gauge.value;
      }
    }
    return -1;
  }

  std::string TierOf(int64_t account) {
    return One(absl::StrCat("SELECT tier FROM accounts WHERE account_id = ", account));
  }
};

TEST_F(TierReviewTest, AReviewRecordsWhoWhenParametersAndChangesAndAppliesOnlyChanges) {
  SeedFiveAccounts();
  absl::StatusOr<v1::TierReview> review = Run("review-1");
  ASSERT_TRUE(Ok(review));
  EXPECT_THAT(review->id(), StartsWith("tr-"));
  EXPECT_EQ(review->run_by(), "dir-zhao");
  EXPECT_EQ(FromTimestamp(review->run_time()), kNow);
  EXPECT_EQ(review->parameters().period(), "2026-Q2");
  EXPECT_DOUBLE_EQ(review->parameters().promote_at(), 0.8);
  EXPECT_DOUBLE_EQ(review->parameters().weights().revenue(), 1);
  EXPECT_EQ(review->parameters().thresholds().a_share_bp(), 7500);
  EXPECT_EQ(review->state(), v1::REVIEW_STATE_APPLIED);
  EXPECT_EQ(review->accounts_reviewed(), 5);
  EXPECT_EQ(review->promotions(), 1);
  EXPECT_EQ(review->demotions(), 2);
  EXPECT_EQ(review->unchanged(), 2);
  EXPECT_EQ(review->pending(), 0);

  const std::vector<FakeTierWriter::Call> calls = writer_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].account_id, 1);
  EXPECT_EQ(calls[0].tier, av1::TIER_A);
  EXPECT_EQ(calls[0].review_id, review->id());
  EXPECT_EQ(calls[0].request_id, review->id() + "/1");
  EXPECT_EQ(calls[0].reason, "ABC class A, score 1.00 >= promote_at 0.80: already the top tier, A");
  EXPECT_EQ(calls[1].account_id, 3);
  EXPECT_EQ(calls[1].tier, av1::TIER_B);
  EXPECT_EQ(calls[2].account_id, 5);
  EXPECT_EQ(calls[2].tier, av1::TIER_D);
  EXPECT_EQ(calls[2].reason,
            "no revenue in the period (base tier D), score 0.00 < demote_below 0.20: already the "
            "lowest tier, D");

  const std::vector<v1::TierChange> changes = Changes(review->id());
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].account().id(), 1);
  EXPECT_EQ(changes[0].account().name(), "Account 1");
  EXPECT_EQ(changes[0].old_tier(), av1::TIER_C);
  EXPECT_EQ(changes[0].new_tier(), av1::TIER_A);
  EXPECT_EQ(changes[0].abc_class(), v1::ABC_CLASS_A);
  EXPECT_DOUBLE_EQ(changes[0].score(), 1);
  EXPECT_EQ(changes[0].reason(), calls[0].reason);
  EXPECT_TRUE(changes[0].applied());
  EXPECT_EQ(changes[0].error(), "");
  EXPECT_EQ(changes[1].old_tier(), av1::TIER_A);
  EXPECT_EQ(changes[1].new_tier(), av1::TIER_B);
  EXPECT_EQ(changes[1].abc_class(), v1::ABC_CLASS_B);
  EXPECT_DOUBLE_EQ(changes[1].score(), 0.5);
  EXPECT_EQ(changes[1].reason(),
            "ABC class B, score 0.50 between demote_below 0.20 and promote_at 0.80: tier B");

  // The classes are AnalyzeAbc's.
  absl::StatusOr<v1::AnalyzeAbcResponse> abc =
      sales_->Abc(QuarterScope(), review->parameters().thresholds());
  ASSERT_TRUE(Ok(abc));
  std::map<int64_t, v1::AbcClass> abc_class;
  for (const v1::AbcRow& row : abc->rows()) abc_class[row.account().id()] = row.abc_class();
  for (const v1::TierChange& change : changes) {
    EXPECT_EQ(change.abc_class(), abc_class[change.account().id()]) << change.account().id();
  }

  // Analytics' own accounts follow at once; the archived account is untouched.
  EXPECT_EQ(TierOf(1), "1");
  EXPECT_EQ(TierOf(2), "1");
  EXPECT_EQ(TierOf(3), "2");
  EXPECT_EQ(TierOf(5), "4");
  EXPECT_EQ(TierOf(6), "4");
  // The audit trail has who and what: the run, then the applied slice (3 applied, 0 left).
  EXPECT_EQ(One(absl::StrCat("SELECT CONCAT(actor, ' ', action, ' ', after_json) FROM audit_log "
                             "WHERE resource_id = '",
                             review->id(), "' AND action = 'tier_review.applied'")),
            "dir-zhao tier_review.applied {\"applied\":3,\"pending\":0}");
  EXPECT_EQ(One(absl::StrCat("SELECT COUNT(*) FROM audit_log WHERE resource_id = '", review->id(),
                             "' AND action = 'tier_review.run'")),
            "1");
}

TEST_F(TierReviewTest, AnApplyingReviewMovesTheInputsRevision) {
  SeedFiveAccounts();
  InputsStore inputs(*pool_);
  ASSERT_TRUE(Ok(Run("dry-1", /*dry_run=*/true)));
  const int64_t before = inputs.Revision().value();
  ASSERT_TRUE(Ok(Run("review-1")));
  // The run's event and the applied slice's event: tiers changed, cached results are stale.
  EXPECT_EQ(inputs.Revision().value(), before + 2);
  EXPECT_EQ(One("SELECT COUNT(*) FROM outbox WHERE event_type = 'tier_review.applied'"), "1");
}

TEST_F(TierReviewTest, ReRunningAnUnchangedReviewCallsSetTierZeroTimes) {
  SeedFiveAccounts();
  ASSERT_TRUE(Ok(Run("review-1")));
  ASSERT_EQ(writer_.calls().size(), 3u);
  absl::StatusOr<v1::TierReview> again = Run("review-2");
  ASSERT_TRUE(Ok(again));
  EXPECT_EQ(again->promotions(), 0);
  EXPECT_EQ(again->demotions(), 0);
  EXPECT_EQ(again->unchanged(), 5);
  EXPECT_EQ(again->state(), v1::REVIEW_STATE_APPLIED);
  EXPECT_EQ(writer_.calls().size(), 3u);
  EXPECT_TRUE(Changes(again->id()).empty());
}

TEST_F(TierReviewTest, ARetryReturnsTheSameReviewAndAnotherRequestUnderItsIdIsRefused) {
  SeedFiveAccounts();
  absl::StatusOr<v1::TierReview> first = Run("review-1");
  ASSERT_TRUE(Ok(first));
  absl::StatusOr<v1::TierReview> retry = Run("review-1");
  ASSERT_TRUE(Ok(retry));
  EXPECT_EQ(retry->id(), first->id());
  EXPECT_EQ(retry->promotions(), 1);
  EXPECT_EQ(writer_.calls().size(), 3u);
  EXPECT_EQ(One("SELECT COUNT(*) FROM tier_reviews"), "1");

  const v1::TierReviewParameters other = Parameters(0.9);
  absl::Status refused = Run("review-1", false, &other).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.message()), StartsWith("request_id"));
  // Even with the first request's fingerprint, a dry run is not the review it recorded.
  const v1::TierReviewParameters p = Parameters();
  refused = reviews_->Run(MutationOf("review-1", p, false), p, true).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(One("SELECT COUNT(*) FROM tier_reviews"), "1");
}

TEST_F(TierReviewTest, TheLastRunGaugeShowsTheRecordedReviewAlsoToAProcessThatReplaysIt) {
  SeedFiveAccounts();
  prometheus::Registry first_registry;
  TierReviews first(*pool_, *sales_, *scorer_, *projection_, writer_, &first_registry);
  const v1::TierReviewParameters p = Parameters();
  ASSERT_TRUE(Ok(first.Run(MutationOf("scheduled-1", p, false), p, false)));
  const double recorded = absl::ToDoubleSeconds(kNow - absl::UnixEpoch());
  EXPECT_NEAR(LastRun(first_registry), recorded, 1e-3);

  // A restarted replica's schedule repeats its interval's request an hour later: the gauge
  // shows when the review was recorded, not 0 (which would fire KamTierReviewNotRun).
  prometheus::Registry restarted_registry;
  TierReviews restarted(*pool_, *sales_, *scorer_, *projection_, writer_, &restarted_registry);
  EXPECT_EQ(LastRun(restarted_registry), 0);
  ASSERT_TRUE(
      Ok(restarted.Run(MutationOf("scheduled-1", p, false, kNow + absl::Hours(1)), p, false)));
  EXPECT_NEAR(LastRun(restarted_registry), recorded, 1e-3);
  EXPECT_EQ(One("SELECT COUNT(*) FROM tier_reviews"), "1");
}

TEST_F(TierReviewTest, UnreachableAccountsLeaveThePartialReviewThatARetryFinishes) {
  SeedFiveAccounts();
  // The transport's own words name an address: the client never sees them.
  writer_.FailAll(absl::UnavailableError(
      "accounts unreachable: failed to connect to all addresses; last error: UNKNOWN: "
      "ipv4:10.1.2.3:7001: Connection refused"));
  absl::Status failed = Run("review-1").status();
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(failed.message()),
              StartsWith("accounts service unavailable; run the review again with the same "
                         "request_id"));
  EXPECT_THAT(std::string(failed.message()), Not(HasSubstr("10.1.2.3")));
  EXPECT_THAT(std::string(failed.message()), Not(HasSubstr("Connection refused")));

  absl::StatusOr<Page<v1::TierReview>> listed = reviews_->List(10, std::nullopt);
  ASSERT_TRUE(Ok(listed));
  ASSERT_EQ(listed->items.size(), 1u);
  const v1::TierReview& partial = listed->items[0];
  EXPECT_EQ(partial.state(), v1::REVIEW_STATE_PARTIAL);
  EXPECT_EQ(partial.pending(), 3);
  for (const v1::TierChange& change : Changes(partial.id())) {
    EXPECT_FALSE(change.applied());
    EXPECT_EQ(change.error(),
              "accounts service unavailable; run the review again with the same request_id")
        << change.account().id();
  }
  EXPECT_EQ(TierOf(1), "3");  // not applied, not changed
  EXPECT_EQ(One("SELECT COUNT(*) FROM tier_review_changes WHERE error LIKE '%10.1.2.3%' "
                "OR error LIKE '%Connection refused%'"),
            "0");

  writer_.Heal();
  absl::StatusOr<v1::TierReview> finished = Run("review-1");
  ASSERT_TRUE(Ok(finished));
  EXPECT_EQ(finished->id(), partial.id());
  EXPECT_EQ(finished->state(), v1::REVIEW_STATE_APPLIED);
  EXPECT_EQ(finished->pending(), 0);
  for (const v1::TierChange& change : Changes(partial.id())) {
    EXPECT_TRUE(change.applied());
    EXPECT_EQ(change.error(), "");
  }
  EXPECT_EQ(TierOf(1), "1");
  // Every successful call carries the request id a retry repeats.
  std::set<std::string> request_ids;
  for (const FakeTierWriter::Call& call : writer_.calls()) request_ids.insert(call.request_id);
  EXPECT_THAT(request_ids,
              ElementsAre(partial.id() + "/1", partial.id() + "/3", partial.id() + "/5"));
}

TEST_F(TierReviewTest, AChangeAccountsRefusesStaysPendingWithItsError) {
  SeedFiveAccounts();
  writer_.Refuse(3, absl::FailedPreconditionError("account 3 is archived"));
  absl::StatusOr<v1::TierReview> review = Run("review-1");
  ASSERT_TRUE(Ok(review));
  EXPECT_EQ(review->state(), v1::REVIEW_STATE_PARTIAL);
  EXPECT_EQ(review->pending(), 1);
  const std::vector<v1::TierChange> changes = Changes(review->id());
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_TRUE(changes[0].applied());
  EXPECT_FALSE(changes[1].applied());
  // The code only: accounts' own message stays in the log.
  EXPECT_EQ(changes[1].error(), "accounts refused the tier: FAILED_PRECONDITION");
  EXPECT_TRUE(changes[2].applied());
  EXPECT_EQ(TierOf(3), "1");
}

TEST_F(TierReviewTest, ARetryOfAnOldPartialReviewLeavesATierChangedSinceAlone) {
  SeedFiveAccounts();
  // Review 1 demotes account 3 from A to B, but accounts refuses it for now.
  writer_.Refuse(3, absl::FailedPreconditionError("account 3 is locked"));
  absl::StatusOr<v1::TierReview> partial = Run("review-1");
  ASSERT_TRUE(Ok(partial));
  ASSERT_EQ(partial->state(), v1::REVIEW_STATE_PARTIAL);
  ASSERT_EQ(partial->pending(), 1);
  // Then a manager moves account 3 to D (the accounts stream brings it to analytics).
  Exec("UPDATE accounts SET tier = 4 WHERE account_id = 3");
  writer_.Heal();
  const size_t calls_before = writer_.calls().size();  // 1, 3 (refused) and 5

  absl::StatusOr<v1::TierReview> retried = Run("review-1");
  ASSERT_TRUE(Ok(retried));
  // No SetTier for 3: B would undo the newer D.
  EXPECT_EQ(writer_.calls().size(), calls_before);
  EXPECT_EQ(TierOf(3), "4");
  // Not applied, not pending: the review is done.
  EXPECT_EQ(retried->state(), v1::REVIEW_STATE_APPLIED);
  EXPECT_EQ(retried->pending(), 0);
  const std::vector<v1::TierChange> changes = Changes(retried->id());
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[1].account().id(), 3);
  EXPECT_FALSE(changes[1].applied());
  EXPECT_EQ(changes[1].error(), "superseded: the account's tier changed since the review");
  // A further retry changes nothing either.
  ASSERT_TRUE(Ok(Run("review-1")));
  EXPECT_EQ(writer_.calls().size(), calls_before);
}

TEST_F(TierReviewTest, ADryRunRecordsTheProposalAndAppliesNothing) {
  SeedFiveAccounts();
  absl::StatusOr<v1::TierReview> review = Run("dry-1", /*dry_run=*/true);
  ASSERT_TRUE(Ok(review));
  EXPECT_EQ(review->state(), v1::REVIEW_STATE_DRY_RUN);
  EXPECT_EQ(review->promotions(), 1);
  EXPECT_EQ(review->demotions(), 2);
  EXPECT_EQ(review->pending(), 0);
  EXPECT_TRUE(writer_.calls().empty());
  const std::vector<v1::TierChange> changes = Changes(review->id());
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_FALSE(changes[0].applied());
  EXPECT_EQ(TierOf(1), "3");
  ASSERT_TRUE(Ok(Run("dry-1", /*dry_run=*/true)));
  EXPECT_TRUE(writer_.calls().empty());
}

TEST_F(TierReviewTest, ReviewsAndChangesArePaged) {
  SeedFiveAccounts();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    const v1::TierReviewParameters p = Parameters();
    absl::StatusOr<v1::TierReview> review =
        Run(absl::StrCat("dry-", i), true, &p, kNow + absl::Minutes(i));
    ASSERT_TRUE(Ok(review));
    ids.push_back(review->id());
  }
  absl::StatusOr<Page<v1::TierReview>> first = reviews_->List(2, std::nullopt);
  ASSERT_TRUE(Ok(first));
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_TRUE(first->more);
  EXPECT_EQ(first->items[0].id(), ids[2]);  // newest first
  EXPECT_EQ(first->items[1].id(), ids[1]);
  const TierReviews::ReviewCursor cursor{FromTimestamp(first->items[1].run_time()),
                                         first->items[1].id()};
  absl::StatusOr<Page<v1::TierReview>> second = reviews_->List(2, cursor);
  ASSERT_TRUE(Ok(second));
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_FALSE(second->more);
  EXPECT_EQ(second->items[0].id(), ids[0]);

  absl::StatusOr<Page<v1::TierChange>> changes = reviews_->ListChanges(ids[0], 2, 0);
  ASSERT_TRUE(Ok(changes));
  ASSERT_EQ(changes->items.size(), 2u);
  EXPECT_TRUE(changes->more);
  EXPECT_EQ(changes->items[1].account().id(), 3);
  changes = reviews_->ListChanges(ids[0], 2, 3);
  ASSERT_TRUE(Ok(changes));
  ASSERT_EQ(changes->items.size(), 1u);
  EXPECT_FALSE(changes->more);
  EXPECT_EQ(changes->items[0].account().id(), 5);

  EXPECT_EQ(reviews_->Get("tr-unknown").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(reviews_->ListChanges("tr-unknown", 2, 0).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TierReviewTest, TheScheduleReviewsTheLastQuarterOncePerIntervalOnOneReplica) {
  SeedFiveAccounts();
  TierReviewSchedule schedule(*pool_, *reviews_, absl::UTCTimeZone(), absl::Hours(24));
  absl::StatusOr<std::optional<v1::TierReview>> run = schedule.RunOnce(kNow);
  ASSERT_TRUE(Ok(run));
  ASSERT_TRUE(run->has_value());
  const v1::TierReview review = **run;  // a copy: `run` is reused below
  EXPECT_EQ(review.run_by(), "analytics");
  EXPECT_EQ(review.parameters().period(), "2026-Q2");  // kNow is 2026-07-02
  EXPECT_DOUBLE_EQ(review.parameters().promote_at(), 0.8);
  EXPECT_DOUBLE_EQ(review.parameters().weights().revenue(), 0.25);  // the defaults
  EXPECT_EQ(review.state(), v1::REVIEW_STATE_APPLIED);
  const size_t calls = writer_.calls().size();

  // Later the same day (the same interval): the same review, nothing applied again.
  run = schedule.RunOnce(kNow + absl::Hours(5));
  ASSERT_TRUE(Ok(run));
  ASSERT_TRUE(run->has_value());
  EXPECT_EQ((*run)->id(), review.id());
  EXPECT_EQ(writer_.calls().size(), calls);

  // Another replica holds the lock: this one skips its turn.
  {
    absl::StatusOr<DbConnection> other = pool_->Acquire();
    ASSERT_TRUE(Ok(other));
    std::unique_ptr<sql::ResultSet> got(
        other->Prepare("SELECT GET_LOCK(CONCAT('kam_tier_review.', DATABASE()), 0)")
            .executeQuery());
    ASSERT_TRUE(got->next());
    ASSERT_EQ(got->getInt(1), 1);
    run = schedule.RunOnce(kNow + absl::Hours(30));
    ASSERT_TRUE(Ok(run));
    EXPECT_FALSE(run->has_value());
    other->Prepare("SELECT RELEASE_LOCK(CONCAT('kam_tier_review.', DATABASE()))").executeQuery();
  }
  // The next day is a new interval: a new review, with nothing left to change.
  run = schedule.RunOnce(kNow + absl::Hours(30));
  ASSERT_TRUE(Ok(run));
  ASSERT_TRUE(run->has_value());
  EXPECT_NE((*run)->id(), review.id());
  EXPECT_EQ((*run)->promotions() + (*run)->demotions(), 0);
  EXPECT_EQ(writer_.calls().size(), calls);
}

// ---- The AccountService client ----

// AccountService.SetTier that records what arrives and answers with `reply`.
class FakeAccounts final : public av1::AccountService::Service {
 public:
  grpc::Status SetTier(grpc::ServerContext* context, const av1::SetTierRequest* request,
                       av1::SetTierResponse* /*response*/) override {
    std::lock_guard<std::mutex> lock(mutex);
    received = *request;
    const auto& metadata = context->client_metadata();
    auto header = [&](const char* name) {
      auto found = metadata.find(name);
      return found == metadata.end() ? std::string()
                                     : std::string(found->second.data(), found->second.size());
    };
    identity = {header(kIdentityHeader), header(kIdentitySignatureHeader)};
    deadline = absl::FromChrono(context->deadline());
    return reply;
  }

  std::mutex mutex;
  grpc::Status reply;
  av1::SetTierRequest received;
  SignedIdentity identity;
  absl::Time deadline;
};

TEST(GrpcTierWriterTest, CallsSetTierAsTheSignedAnalyticsSystemIdentity) {
  FakeAccounts accounts;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&accounts);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  const std::string key = "test-identity-key";
  std::unique_ptr<TierWriter> writer = MakeGrpcTierWriter(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()),
      key);

  const absl::Time before = absl::Now();
  ASSERT_TRUE(Ok(writer->SetTier(42, av1::TIER_A, "ABC class A", "tr-1", "tr-1/42")));
  {
    std::lock_guard<std::mutex> lock(accounts.mutex);
    EXPECT_EQ(accounts.received.account_id(), 42);
    EXPECT_EQ(accounts.received.tier(), av1::TIER_A);
    EXPECT_EQ(accounts.received.reason(), "ABC class A");
    EXPECT_EQ(accounts.received.review_id(), "tr-1");
    EXPECT_EQ(accounts.received.request_id(), "tr-1/42");
    absl::StatusOr<Principal> caller = VerifyIdentity(
        accounts.identity, "/kam.accounts.v1.AccountService/SetTier", key, absl::Now());
    ASSERT_TRUE(Ok(caller));
    EXPECT_EQ(caller->subject, "analytics");
    EXPECT_THAT(caller->roles, ElementsAre("system"));
    // Bound to SetTier: useless against any other method.
    EXPECT_FALSE(VerifyIdentity(accounts.identity, "/kam.accounts.v1.AccountService/GetAccount",
                                key, absl::Now())
                     .ok());
    EXPECT_GT(accounts.deadline, before + absl::Seconds(9));
    EXPECT_LE(accounts.deadline, absl::Now() + absl::Seconds(10));
    accounts.reply = grpc::Status(grpc::StatusCode::NOT_FOUND, "account 42 not found");
  }
  absl::Status refused = writer->SetTier(42, av1::TIER_A, "ABC class A", "tr-1", "tr-1/42");
  EXPECT_EQ(refused.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(refused.message(), "account 42 not found");

  server->Shutdown();
  absl::Status unreachable = writer->SetTier(42, av1::TIER_A, "ABC class A", "tr-1", "tr-1/42");
  EXPECT_EQ(unreachable.code(), absl::StatusCode::kUnavailable);
}

// The scale target (PERFORMANCE.md): a million accounts with three months of rollups each.
// Slow to seed, so run by hand: --gtest_also_run_disabled_tests --gtest_filter='*Million*'.
TEST_F(TierReviewTest, DISABLED_AMillionAccountsAreScoredAndReviewedInSeconds) {
  Exec("SET GLOBAL innodb_buffer_pool_size = 1073741824");
  Exec(
      "INSERT INTO accounts (account_id, name, nature, industry, region, scale, "
      "lifecycle_stage, status, tier, owner_id, parent_id, credit_rating, archived, create_time, "
      "source_sequence) SELECT seq, CONCAT('Account ', seq), 1, 'machinery', "
      "ELT(1 + seq % 4, 'east', 'west', 'north', 'south'), 1, 1, 1, 1 + seq % 4, "
      "CONCAT('mgr-', seq % 500), 0, seq % 8, seq % 50 = 0, '2025-01-01', seq "
      "FROM seq_1_to_1000000");
  Exec(
      "INSERT INTO account_month (account_id, month, revenue_minor, cost_minor, quantity, "
      "orders, order_lines, paid_minor, contract_value_minor, contracts_signed) "
      "SELECT a.seq, m.month, (a.seq * 7919) % 1000000, (a.seq * 7919) % 700000, 1 + a.seq % 90, "
      "1, 1, (a.seq * 104729) % 900000, IF(a.seq % 7 = 0, 50000, 0), a.seq % 7 = 0 "
      "FROM seq_1_to_1000000 a JOIN (SELECT 202604 AS month UNION ALL SELECT 202605 "
      "UNION ALL SELECT 202606) m WHERE a.seq % 10 <> 0");
  Exec(
      "INSERT INTO complaint_facts (complaint_id, account_id, category, severity, state, "
      "account_tier, create_time, create_month, valid, judgment_breached, resolution_breached, "
      "source_sequence) SELECT seq, 1 + (seq * 13) % 1000000, 1, 1, 1, 1, '2026-05-01', 202605, "
      "seq % 3 = 0, 0, 0, seq FROM seq_1_to_200000");
  Exec(
      "INSERT INTO account_targets (account_id, year, expected_share_bp, wallet_estimate_minor, "
      "industry_influence, updated_at) SELECT seq, 2026, 0, 0, seq % 101, '2026-01-01' "
      "FROM seq_1_to_1000000 WHERE seq % 3 = 0");
  Exec("ANALYZE TABLE accounts, account_month, complaint_facts, account_targets");

  absl::Time start = absl::Now();
  absl::StatusOr<v1::ScoreAccountsResponse> scored =
      scorer_->Score(QuarterScope(), v1::ScoreWeights());
  const absl::Duration score_time = absl::Now() - start;
  ASSERT_TRUE(Ok(scored));
  EXPECT_EQ(scored->accounts(), 980000);
  std::cout << "score, 980,000 accounts: " << score_time << std::endl;
  EXPECT_LT(score_time, absl::Seconds(30));

  start = absl::Now();
  absl::StatusOr<v1::TierReview> review = Run("million", /*dry_run=*/true);
  const absl::Duration dry_time = absl::Now() - start;
  ASSERT_TRUE(Ok(review));
  std::cout << "dry-run review: " << dry_time << ", changes "
            << review->promotions() + review->demotions() << std::endl;
  start = absl::Now();
  review = Run("million-applied");
  const absl::Duration applied_time = absl::Now() - start;
  ASSERT_TRUE(Ok(review));
  EXPECT_EQ(review->state(), v1::REVIEW_STATE_APPLIED);
  std::cout << "applied review (fake writer): " << applied_time << std::endl;
  EXPECT_EQ(writer_.calls().size(),
            static_cast<size_t>(review->promotions() + review->demotions()));
}

}  // namespace
}  // namespace kam::analytics
