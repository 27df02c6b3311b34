#pragma once

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "services/analytics/projection.h"
#include "services/analytics/sales_analysis.h"
#include "services/analytics/scope.h"
#include "services/analytics/score.h"
#include "services/common/store_support.h"

namespace prometheus {
class Registry;
}

// The tier review (DOMAIN.md: "the key-account list is re-evaluated periodically"): every
// account's ABC class and score over the review's period propose its tier; the review is
// recorded (tier_reviews, tier_review_changes, an audit row) and the changed tiers are
// applied through AccountService.SetTier. Accounts stays the owner of the tier; analytics
// learns the new tier back from the accounts stream (and writes it into its own accounts
// row at once, so an immediate re-run sees it).
namespace kam::analytics {

namespace av1 = kam::accounts::v1;

// The rule, documented in README "Analytics": the ABC class gives the base tier (A->A,
// B->B, C->C; no revenue in the period -> D); a score at or above promote_at moves it one
// tier up (not above A), a score below demote_below one tier down (not below D). `reason`
// says which rules applied, e.g. "ABC class B, score 0.86 >= promote_at 0.80: promoted one
// tier".
struct TierProposal {
  av1::Tier tier = av1::TIER_UNSPECIFIED;
  std::string reason;
};
TierProposal ProposeTier(v1::AbcClass abc_class, int64_t revenue, double score,
                         const v1::TierReviewParameters& parameters);

// The parameters with defaults filled in (thresholds, weights, promote_at 0.8, demote_below
// 0.2); INVALID_ARGUMENT naming "parameters.period", "parameters.thresholds.*",
// "parameters.weights.*", "parameters.promote_at" or "parameters.demote_below".
absl::StatusOr<v1::TierReviewParameters> CheckReviewParameters(
    const v1::TierReviewParameters& parameters);

// Applies one tier decision in the accounts service. A review calls it from several threads
// at once.
class TierWriter {
 public:
  virtual ~TierWriter() = default;
  // SetTier with `request_id` (a retry of the same decision changes nothing). UNAVAILABLE
  // when accounts cannot be reached; other codes as AccountService.SetTier returns them.
  virtual absl::Status SetTier(int64_t account_id, av1::Tier tier, const std::string& reason,
                               const std::string& review_id, const std::string& request_id) = 0;
};

// A TierWriter calling AccountService.SetTier over `channel` as the system identity
// "analytics", signed with `identity_key`, each call with a 10 s deadline.
std::unique_ptr<TierWriter> MakeGrpcTierWriter(const std::shared_ptr<grpc::Channel>& channel,
                                               std::string identity_key);

class TierReviews {
 public:
  // `sales` is not needed any more: the review classes the revenue it reads for the scores
  // with the ABC rule itself (ClassifyAbc), one read of the facts instead of two. It stays
  // in the signature for the wiring. `registry` may be null (tests); it gets
  // kam_tier_review_last_run_timestamp_seconds and
  // kam_tier_review_changes_total{direction="promotion"|"demotion"} (changes applied).
  TierReviews(DbPool& pool, SalesAnalyses& sales, Scorer& scorer, Projection& projection,
              TierWriter& writer, prometheus::Registry* registry = nullptr);
  ~TierReviews();

  // Runs a review over every (non-archived) account with `parameters` (already checked).
  // Idempotent by (m.actor, m.request_id): a retry returns the recorded review, first
  // applying any changes still pending (PARTIAL -> APPLIED when accounts accepts them); the
  // same request_id with other parameters is INVALID_ARGUMENT. Only changed tiers are
  // applied, each with request_id "<review_id>/<account_id>". A dry run records the review
  // and its proposed changes but applies nothing.
  // UNAVAILABLE when accounts cannot be reached: the review stays recorded as PARTIAL with
  // the changes not applied yet (each with its error), and a retry finishes it. Changes that
  // accounts refuses for another reason stay pending with their error; the review is then
  // returned as PARTIAL.
  absl::StatusOr<v1::TierReview> Run(const Mutation& m, const v1::TierReviewParameters& parameters,
                                     bool dry_run);

  // NOT_FOUND for an unknown id.
  absl::StatusOr<v1::TierReview> Get(const std::string& review_id);
  // Newest first; `after` is the last review of the previous page (nullopt: first page).
  struct ReviewCursor {
    absl::Time run_time;
    std::string review_id;
  };
  absl::StatusOr<Page<v1::TierReview>> List(int page_size,
                                            const std::optional<ReviewCursor>& after);
  // By account id, after `after_account_id`; NOT_FOUND for an unknown review.
  absl::StatusOr<Page<v1::TierChange>> ListChanges(const std::string& review_id, int page_size,
                                                   int64_t after_account_id);

 private:
  struct Metrics;
  struct Proposal;
  struct PendingChange;

  absl::StatusOr<Proposal> Propose(const v1::TierReviewParameters& parameters);
  absl::StatusOr<bool> Recorded(const std::string& review_id);
  // The review row, its changes and the audit row, in the caller's transaction.
  static void RecordReview(DbConnection& db, const Mutation& m, const std::string& review_id,
                           const v1::TierReviewParameters& parameters, bool dry_run,
                           const Proposal& proposal);
  absl::Status CheckSameRequest(const v1::TierReview& review,
                                const v1::TierReviewParameters& parameters, bool dry_run);
  // Applies the review's pending changes slice by slice, storing each slice's outcome, then
  // the review's pending count and state.
  absl::Status ApplyPending(const std::string& review_id);
  // SetTier for every change of `slice`, several in flight; stops at the first UNAVAILABLE
  // and gives the changes not tried that status.
  std::vector<absl::Status> ApplySlice(const std::string& review_id,
                                       const std::vector<PendingChange>& slice);
  absl::Status StoreOutcome(const std::string& review_id, const std::vector<PendingChange>& slice,
                            const std::vector<absl::Status>& results);
  absl::Status FinishReview(const std::string& review_id);

  DbPool& pool_;
  Scorer& scorer_;
  Projection& projection_;
  TierWriter& writer_;
  std::unique_ptr<Metrics> metrics_;
};

// The quarter before the one `now` falls in, in `zone` ("2026-Q2" on 2026-07-02).
std::string LastCompleteQuarter(absl::Time now, absl::TimeZone zone);

// The scheduled review (--tier-review-every): every `every`, a review as the system identity
// "analytics" over the last complete quarter with the default parameters. Replicas share
// it: a run holds GET_LOCK('kam_tier_review.<schema>') (a replica that finds it taken skips
// its turn), and every run within the same interval uses the request_id
// "scheduled-<quarter>-<interval number>", so a second replica gets the first one's review
// back, and a run that found accounts unreachable is finished by the next attempt, a minute
// later, within the interval. Intervals are counted from the Unix epoch; at least a minute.
class TierReviewSchedule {
 public:
  TierReviewSchedule(DbPool& pool, TierReviews& reviews, absl::TimeZone zone, absl::Duration every);
  ~TierReviewSchedule();  // stops and joins

  // The first run a minute after (the projection catches up first), then every `every`.
  void Start();
  void Stop();
  // One scheduled review at `now`; nullopt when another replica is running one.
  absl::StatusOr<std::optional<v1::TierReview>> RunOnce(absl::Time now);

 private:
  // The review of `now`'s interval, the lock held.
  absl::StatusOr<v1::TierReview> RunScheduled(absl::Time now);
  void Loop();

  DbPool& pool_;
  TierReviews& reviews_;
  const absl::TimeZone zone_;
  const absl::Duration every_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kam::analytics
