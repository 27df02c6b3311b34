#include "services/analytics/tier_review.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <openssl/sha.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "kam/accounts/v1/accounts.grpc.pb.h"
#include "services/common/idempotency.h"
#include "services/common/identity.h"
#include "services/common/log.h"
#include "services/common/multi_row.h"
#include "services/common/proto_support.h"
#include "services/common/status.h"

namespace kam::analytics {
namespace {

constexpr double kDefaultPromoteAt = 0.8;
constexpr double kDefaultDemoteBelow = 0.2;

constexpr char kSetTierMethod[] = "/kam.accounts.v1.AccountService/SetTier";
constexpr absl::Duration kSetTierDeadline = absl::Seconds(10);

// SetTier calls in flight at once, and changes applied (and their outcome stored) per slice:
// a review of a million accounts keeps memory bounded and its progress stored as it goes.
constexpr int kApplyConcurrency = 8;
constexpr int64_t kApplySlice = 5000;
// Rows per multi-row statement, at most; see ForEachBatch.
constexpr size_t kMaxBatch = 512;

// One scheduled review at a time across replicas; the name is per schema.
constexpr char kGetReviewLock[] = "SELECT GET_LOCK(CONCAT('kam_tier_review.', DATABASE()), 0)";
constexpr char kReleaseReviewLock[] = "SELECT RELEASE_LOCK(CONCAT('kam_tier_review.', DATABASE()))";
constexpr char kScheduleActor[] = "analytics";
// The first scheduled run waits this long after start, and a failed one is tried again after
// it.
constexpr absl::Duration kScheduleRetry = absl::Minutes(1);

constexpr char kReviewColumns[] =
    "review_id, run_by, run_time, parameters_json, state, accounts_reviewed, promotions, "
    "demotions, unchanged, pending, accounts_sequence, complaints_sequence";
constexpr char kReviewExists[] = "SELECT 1 FROM tier_reviews WHERE review_id = ?";
// A change is pending while not applied and not superseded (see kSupersededText). The
// account's current tier comes along, so that a stale change is not applied.
constexpr char kPendingSlice[] =
    "SELECT c.account_id AS account_id, c.old_tier, c.new_tier, c.reason,"
    " a.tier AS current_tier FROM tier_review_changes c"
    " LEFT JOIN accounts a ON a.account_id = c.account_id"
    " WHERE c.review_id = ? AND c.applied = 0 AND c.error <> ? AND c.account_id > ?"
    " ORDER BY c.account_id LIMIT ?";
constexpr char kMarkAppliedHead[] =
    "UPDATE tier_review_changes SET applied = 1, error = '' WHERE review_id = ? AND account_id IN ";
constexpr char kSetErrorHead[] =
    "UPDATE tier_review_changes SET error = ? WHERE review_id = ? AND account_id IN ";
constexpr char kSetErrorAfter[] =
    "UPDATE tier_review_changes SET error = ? WHERE review_id = ? AND applied = 0"
    " AND error <> ? AND account_id > ?";
// Analytics' own copy, so that a review run at once after sees the new tiers; the accounts
// stream brings the same tiers back later.
constexpr char kSetAccountTierHead[] = "UPDATE accounts SET tier = ? WHERE account_id IN ";
constexpr char kCountPending[] =
    "SELECT COUNT(*) FROM tier_review_changes WHERE review_id = ? AND applied = 0 AND error <> ?";
constexpr char kSetOutcome[] =
    "UPDATE tier_reviews SET pending = ?, state = ? WHERE review_id = ? AND state <> ?";
constexpr char kListChanges[] =
    "SELECT c.account_id AS account_id, c.old_tier, c.new_tier, c.abc_class, c.score, c.reason,"
    " c.applied, c.error, COALESCE(a.name, '') AS name, COALESCE(a.tier, 0) AS tier,"
    " COALESCE(a.owner_id, '') AS owner_id, COALESCE(a.region, '') AS region,"
    " COALESCE(a.industry, '') AS industry"
    " FROM tier_review_changes c LEFT JOIN accounts a ON a.account_id = c.account_id"
    " WHERE c.review_id = ? AND c.account_id > ? ORDER BY c.account_id LIMIT ?";

std::string InsertReviewSql() {
  return absl::StrCat("INSERT INTO tier_reviews (", kReviewColumns,
                      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
}
std::string SelectReviewSql() {
  return absl::StrCat("SELECT ", kReviewColumns, " FROM tier_reviews WHERE review_id = ?");
}
std::string ListFirstSql() {
  return absl::StrCat("SELECT ", kReviewColumns,
                      " FROM tier_reviews ORDER BY run_time DESC, review_id DESC LIMIT ?");
}
std::string ListAfterSql() {
  return absl::StrCat("SELECT ", kReviewColumns,
                      " FROM tier_reviews WHERE run_time < ? OR (run_time = ? AND review_id < ?)"
                      " ORDER BY run_time DESC, review_id DESC LIMIT ?");
}

// ---- Pure helpers ----

const char* TierLetter(av1::Tier tier) {
  switch (tier) {
    case av1::TIER_A:
      return "A";
    case av1::TIER_B:
      return "B";
    case av1::TIER_C:
      return "C";
    case av1::TIER_D:
      return "D";
    default:
      return "none";
  }
}

const char* ClassLetter(v1::AbcClass abc_class) {
  switch (abc_class) {
    case v1::ABC_CLASS_A:
      return "A";
    case v1::ABC_CLASS_B:
      return "B";
    default:
      return "C";
  }
}

av1::Tier BaseTier(v1::AbcClass abc_class) {
  switch (abc_class) {
    case v1::ABC_CLASS_A:
      return av1::TIER_A;
    case v1::ABC_CLASS_B:
      return av1::TIER_B;
    default:
      return av1::TIER_C;
  }
}

// Tier numbers run A = 1 .. D = 4; an account without a tier ranks below D, so giving it one
// counts as a promotion.
int TierRank(av1::Tier tier) { return tier == av1::TIER_UNSPECIFIED ? 5 : static_cast<int>(tier); }
bool IsPromotion(av1::Tier from, av1::Tier to) { return TierRank(to) < TierRank(from); }

// "score 0.86 >= promote_at 0.80", with more digits when two decimals would make the two
// sides look equal.
std::string Comparison(double score, const char* op, const char* name, double threshold) {
  int digits = 2;
  if (absl::StrFormat("%.2f", score) == absl::StrFormat("%.2f", threshold)) digits = 6;
  return absl::StrFormat("score %.*f %s %s %.*f", digits, score, op, name, digits, threshold);
}

bool IsUnreachable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

// What a client sees of a failed SetTier, in the RunTierReview status and in
// tier_review_changes.error: fixed text, never the transport's message (addresses, "Connection
// refused") nor accounts' own wording; the detail goes to the log (LogSetTierFailures).
// A change left unapplied for good: a newer change (another review, a manager) moved the
// account off the tier the review started from, and re-applying the old proposal would undo it.
// Such a change is not pending.
constexpr char kSupersededText[] = "superseded: the account's tier changed since the review";
constexpr char kUnreachableText[] =
    "accounts service unavailable; run the review again with the same request_id";

std::string ErrorText(const absl::Status& status) {
  if (IsUnreachable(status)) return kUnreachableText;
  return absl::StrCat("accounts refused the tier: ", absl::StatusCodeToString(status.code()));
}

// One log line per distinct failure of a slice (not per account: a dead accounts service
// fails a whole slice the same way), with how many accounts and the first of them.
void LogSetTierFailures(const std::string& review_id, const std::vector<int64_t>& accounts,
                        const std::vector<absl::Status>& results) {
  std::map<std::string, std::pair<int64_t, int64_t>> seen;  // detail -> (count, first account)
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok()) continue;
    auto [it, inserted] = seen.try_emplace(results[i].ToString(), 0, accounts[i]);
    ++it->second.first;
  }
  for (const auto& [detail, count_first] : seen) {
    LogWarn("tier review: SetTier failed", {{"review_id", review_id},
                                            {"error", detail},
                                            {"accounts", count_first.first},
                                            {"first_account_id", count_first.second}});
  }
}

// The review id of (actor, request_id): a retry finds its review without computing it again.
std::string ReviewIdFor(const std::string& actor, const std::string& request_id) {
  const std::string key = absl::StrCat(actor, std::string(1, '\0'), request_id);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  const std::string hex = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
  return absl::StrCat("tr-", hex.substr(0, 32));
}

// One tier a review proposes to change.
struct ProposedChange {
  int64_t account_id = 0;
  av1::Tier old_tier = av1::TIER_UNSPECIFIED;
  av1::Tier new_tier = av1::TIER_UNSPECIFIED;
  v1::AbcClass abc_class = v1::ABC_CLASS_UNSPECIFIED;
  double score = 0;
  std::string reason;
};

std::string TierRequestId(const std::string& review_id, int64_t account_id) {
  return absl::StrCat(review_id, "/", account_id);
}

std::vector<size_t> IndexesById(const std::vector<FactorInputs>& inputs) {
  std::vector<size_t> order(inputs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t x, size_t y) { return inputs[x].account.id() < inputs[y].account.id(); });
  return order;
}

// The ABC class of every input (in input order) by the rule AnalyzeAbc applies
// (SortByRevenue, ClassifyAbc) to the same revenue.
std::vector<v1::AbcClass> AbcClasses(const std::vector<FactorInputs>& inputs,
                                     const v1::AbcThresholds& thresholds) {
  std::vector<RevenueRow> ranked;
  ranked.reserve(inputs.size());
  for (const FactorInputs& in : inputs) ranked.push_back({in.account.id(), in.revenue});
  SortByRevenue(ranked);
  const std::vector<AbcAssignment> assigned =
      ClassifyAbc(ranked, thresholds.a_share_bp(), thresholds.b_share_bp());
  std::vector<std::pair<int64_t, v1::AbcClass>> by_id(ranked.size());
  for (size_t k = 0; k < ranked.size(); ++k)
    by_id[k] = {ranked[k].account_id, assigned[k].abc_class};
  std::sort(by_id.begin(), by_id.end());
  // Account ids are unique: the k-th smallest id of both lists is the same account.
  std::vector<v1::AbcClass> classes(inputs.size());
  const std::vector<size_t> order = IndexesById(inputs);
  for (size_t k = 0; k < order.size(); ++k) classes[order[k]] = by_id[k].second;
  return classes;
}

// ProposeTier's decision without its explanation: a review decides a million of these and
// explains only the changes.
av1::Tier ProposedTier(v1::AbcClass abc_class, int64_t revenue, double score,
                       const v1::TierReviewParameters& parameters) {
  const av1::Tier base = revenue > 0 ? BaseTier(abc_class) : av1::TIER_D;
  if (score >= parameters.promote_at()) {
    return base == av1::TIER_A ? base : static_cast<av1::Tier>(base - 1);
  }
  if (score < parameters.demote_below()) {
    return base == av1::TIER_D ? base : static_cast<av1::Tier>(base + 1);
  }
  return base;
}

absl::Status Prefixed(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return status;
  return absl::InvalidArgumentError(absl::StrCat("parameters.", status.message()));
}

// Calls `body(begin, count)` over [0, n) in chunks whose sizes are powers of two up to
// kMaxBatch, so a multi-row statement comes in at most ten shapes, each prepared once per
// connection.
void ForEachBatch(size_t n, const std::function<void(size_t, size_t)>& body) {
  for (size_t begin = 0; begin < n;) {
    size_t count = kMaxBatch;
    while (count > n - begin) count /= 2;
    body(begin, count);
    begin += count;
  }
}

std::string InList(size_t count) { return absl::StrCat("(", Placeholders(count), ")"); }

// `head` ending in "account_id IN " with `leading` parameters, for every id in batches.
void UpdateIn(DbConnection& db, const char* head, const std::vector<SqlParam>& leading,
              const std::vector<int64_t>& ids) {
  ForEachBatch(ids.size(), [&](size_t begin, size_t count) {
    sql::PreparedStatement& update = db.Prepare(absl::StrCat(head, InList(count)));
    std::vector<SqlParam> params = leading;
    params.insert(params.end(), ids.begin() + begin, ids.begin() + begin + count);
    BindAll(update, params);
    update.executeUpdate();
  });
}

std::string ParametersJson(const v1::TierReviewParameters& parameters) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(parameters, &json, options);
  return json;
}

// ---- Rows ----

v1::TierReview ReadReview(const sql::ResultSet& row) {
  v1::TierReview review;
  review.set_id(row.getString("review_id"));
  review.set_run_by(row.getString("run_by"));
  ToTimestamp(FromSqlTime(row.getString("run_time")), review.mutable_run_time());
  (void)google::protobuf::util::JsonStringToMessage(std::string(row.getString("parameters_json")),
                                                    review.mutable_parameters());
  review.set_state(static_cast<v1::ReviewState>(row.getInt("state")));
  review.set_accounts_reviewed(row.getInt("accounts_reviewed"));
  review.set_promotions(row.getInt("promotions"));
  review.set_demotions(row.getInt("demotions"));
  review.set_unchanged(row.getInt("unchanged"));
  review.set_pending(row.getInt("pending"));
  review.mutable_facts()->set_accounts_sequence(row.getInt64("accounts_sequence"));
  review.mutable_facts()->set_complaints_sequence(row.getInt64("complaints_sequence"));
  return review;
}

v1::TierChange ReadChange(const sql::ResultSet& row) {
  v1::TierChange change;
  ReadAccountRef(row, change.mutable_account());
  change.set_old_tier(static_cast<av1::Tier>(row.getInt("old_tier")));
  change.set_new_tier(static_cast<av1::Tier>(row.getInt("new_tier")));
  change.set_abc_class(static_cast<v1::AbcClass>(row.getInt("abc_class")));
  change.set_score(row.getDouble("score"));
  change.set_reason(row.getString("reason"));
  change.set_applied(row.getBoolean("applied"));
  change.set_error(row.getString("error"));
  return change;
}

// ---- The accounts client ----

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return absl::UnavailableError(absl::StrCat("accounts unreachable: ", message));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::UnavailableError("accounts did not answer within 10 s");
    default:
      // The numbering of absl::StatusCode is gRPC's.
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()), message);
  }
}

class GrpcTierWriter : public TierWriter {
 public:
  GrpcTierWriter(const std::shared_ptr<grpc::Channel>& channel, std::string identity_key)
      : stub_(av1::AccountService::NewStub(channel)), identity_key_(std::move(identity_key)) {}

  absl::Status SetTier(int64_t account_id, av1::Tier tier, const std::string& reason,
                       const std::string& review_id, const std::string& request_id) override {
    const absl::Time deadline = absl::Now() + kSetTierDeadline;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(deadline));
    // Signed per call: the identity is bound to the method and expires with the deadline.
    const SignedIdentity identity = SignIdentity(Principal{"analytics", {"system"}, ""},
                                                 kSetTierMethod, identity_key_, deadline);
    context.AddMetadata(kIdentityHeader, identity.payload);
    context.AddMetadata(kIdentitySignatureHeader, identity.signature);
    context.AddMetadata(kRequestIdHeader, absl::StrCat("tier-review-", request_id));
    av1::SetTierRequest request;
    request.set_request_id(request_id);
    request.set_account_id(account_id);
    request.set_tier(tier);
    request.set_reason(reason);
    request.set_review_id(review_id);
    av1::SetTierResponse response;
    return FromGrpc(stub_->SetTier(&context, request, &response));
  }

 private:
  std::unique_ptr<av1::AccountService::Stub> stub_;
  const std::string identity_key_;
};

}  // namespace

// ---- Rules ----

TierProposal ProposeTier(v1::AbcClass abc_class, int64_t revenue, double score,
                         const v1::TierReviewParameters& parameters) {
  TierProposal proposal;
  proposal.tier = ProposedTier(abc_class, revenue, score, parameters);
  const av1::Tier base = revenue > 0 ? BaseTier(abc_class) : av1::TIER_D;
  const std::string basis = revenue > 0 ? absl::StrCat("ABC class ", ClassLetter(abc_class))
                                        : "no revenue in the period (base tier D)";
  const double promote_at = parameters.promote_at();
  const double demote_below = parameters.demote_below();
  if (score >= promote_at) {
    const std::string why = Comparison(score, ">=", "promote_at", promote_at);
    proposal.reason =
        base == av1::TIER_A
            ? absl::StrCat(basis, ", ", why, ": already the top tier, A")
            : absl::StrCat(basis, ", ", why, ": promoted one tier to ", TierLetter(proposal.tier));
  } else if (score < demote_below) {
    const std::string why = Comparison(score, "<", "demote_below", demote_below);
    proposal.reason =
        base == av1::TIER_D
            ? absl::StrCat(basis, ", ", why, ": already the lowest tier, D")
            : absl::StrCat(basis, ", ", why, ": demoted one tier to ", TierLetter(proposal.tier));
  } else {
    proposal.reason =
        absl::StrFormat("%s, score %.2f between demote_below %.2f and promote_at %.2f: tier %s",
                        basis, score, demote_below, promote_at, TierLetter(base));
  }
  return proposal;
}

absl::StatusOr<v1::TierReviewParameters> CheckReviewParameters(
    const v1::TierReviewParameters& parameters) {
  v1::TierReviewParameters out = parameters;
  absl::StatusOr<Period> period = ParsePeriod("parameters.period", parameters.period());
  if (!period.ok()) return period.status();
  out.set_period(period->label);
  absl::StatusOr<v1::AbcThresholds> thresholds = CheckAbcThresholds(parameters.thresholds());
  if (!thresholds.ok()) return Prefixed(thresholds.status());
  *out.mutable_thresholds() = *thresholds;
  absl::StatusOr<v1::ScoreWeights> weights = CheckWeights(parameters.weights());
  if (!weights.ok()) return Prefixed(weights.status());
  *out.mutable_weights() = *weights;
  const double promote_at = parameters.promote_at();
  const double demote_below = parameters.demote_below();
  if (promote_at == 0 && demote_below == 0) {
    out.set_promote_at(kDefaultPromoteAt);
    out.set_demote_below(kDefaultDemoteBelow);
    return out;
  }
  // Written so that NaN fails too.
  if (!(promote_at >= 0 && promote_at <= 1)) {
    return InvalidField("parameters.promote_at", "must be between 0 and 1");
  }
  if (!(demote_below >= 0 && demote_below <= 1)) {
    return InvalidField("parameters.demote_below", "must be between 0 and 1");
  }
  if (!(demote_below < promote_at)) {
    return InvalidField("parameters.demote_below", "must be below promote_at");
  }
  return out;
}

std::unique_ptr<TierWriter> MakeGrpcTierWriter(const std::shared_ptr<grpc::Channel>& channel,
                                               std::string identity_key) {
  return std::make_unique<GrpcTierWriter>(channel, std::move(identity_key));
}

// ---- The review ----

struct TierReviews::Metrics {
  prometheus::Gauge* last_run = nullptr;
  prometheus::Counter* promotions = nullptr;
  prometheus::Counter* demotions = nullptr;
};

struct TierReviews::PendingChange {
  int64_t account_id = 0;
  av1::Tier old_tier = av1::TIER_UNSPECIFIED;
  av1::Tier new_tier = av1::TIER_UNSPECIFIED;
  std::string reason;
  // The tier in analytics' `accounts` now; none when the account is not there (accounts
  // decides then).
  std::optional<int> current_tier;
};

namespace {

// Stale when the account is on neither side of the change any more: re-applying would undo
// a newer change. On the new tier already (accounts applied it, the answer was lost and the
// stream brought it back) the change is repeated with its request id: accounts answers it
// as done, and it is recorded as applied.
bool Superseded(av1::Tier old_tier, av1::Tier new_tier, std::optional<int> current_tier) {
  return current_tier && *current_tier != old_tier && *current_tier != new_tier;
}

}  // namespace

// What a review found, before it is recorded.
struct TierReviews::Proposal {
  using Change = ProposedChange;
  v1::FactsVersion facts;
  int32_t reviewed = 0;
  int32_t promotions = 0;
  int32_t demotions = 0;
  std::vector<Change> changes;
};

TierReviews::TierReviews(DbPool& pool, SalesAnalyses& /*sales*/, Scorer& scorer,
                         Projection& projection, TierWriter& writer, prometheus::Registry* registry)
    : pool_(pool),
      scorer_(scorer),
      projection_(projection),
      writer_(writer),
      metrics_(std::make_unique<Metrics>()) {
  if (registry == nullptr) return;
  metrics_->last_run = &prometheus::BuildGauge()
                            .Name("kam_tier_review_last_run_timestamp_seconds")
                            .Help("When the last tier review was recorded (Unix seconds).")
                            .Register(*registry)
                            .Add({});
  auto& changes = prometheus::BuildCounter()
                      .Name("kam_tier_review_changes_total")
                      .Help("Tier changes the reviews applied in accounts, by direction.")
                      .Register(*registry);
  metrics_->promotions = &changes.Add({{"direction", "promotion"}});
  metrics_->demotions = &changes.Add({{"direction", "demotion"}});
}

TierReviews::~TierReviews() = default;

absl::StatusOr<TierReviews::Proposal> TierReviews::Propose(
    const v1::TierReviewParameters& parameters) {
  absl::StatusOr<Period> period = ParsePeriod("parameters.period", parameters.period());
  if (!period.ok()) return period.status();
  Proposal proposal;
  // Read first: the facts the review reflects at least.
  absl::StatusOr<v1::FactsVersion> facts = projection_.Version();
  if (!facts.ok()) return facts.status();
  proposal.facts = *facts;
  // One read gives both the score inputs and the revenue ABC classes, so the two agree on
  // the same facts (and a million accounts are read once, not twice).
  absl::StatusOr<std::vector<FactorInputs>> inputs =
      scorer_.ReadInputs(Scope{*period, v1::AnalysisFilter()});
  if (!inputs.ok()) return inputs.status();
  const std::vector<double> scores = Scores(*inputs, parameters.weights());
  const std::vector<v1::AbcClass> classes = AbcClasses(*inputs, parameters.thresholds());
  for (size_t i : IndexesById(*inputs)) {
    const FactorInputs& in = (*inputs)[i];
    ++proposal.reviewed;
    const av1::Tier old_tier = in.account.tier();
    if (ProposedTier(classes[i], in.revenue, scores[i], parameters) == old_tier) continue;
    TierProposal proposed = ProposeTier(classes[i], in.revenue, scores[i], parameters);
    ++(IsPromotion(old_tier, proposed.tier) ? proposal.promotions : proposal.demotions);
    proposal.changes.push_back({in.account.id(), old_tier, proposed.tier, classes[i], scores[i],
                                std::move(proposed.reason)});
  }
  return proposal;
}

namespace {

void InsertChanges(DbConnection& db, const std::string& review_id,
                   const std::vector<ProposedChange>& changes) {
  static const MultiRowStatement insert(
      "INSERT INTO tier_review_changes (review_id, account_id, old_tier, new_tier, abc_class, "
      "score, reason, applied, error)",
      9, "");
  // In batches, so that a million changes never sit in memory as parameters at once.
  ForEachBatch(changes.size(), [&](size_t begin, size_t count) {
    std::vector<SqlParam> params;
    params.reserve(count * 9);
    for (size_t i = begin; i < begin + count; ++i) {
      const ProposedChange& c = changes[i];
      Append(params,
             {review_id, c.account_id, Enum(c.old_tier), Enum(c.new_tier), Enum(c.abc_class),
              absl::StrFormat("%.17g", c.score), c.reason, false, std::string()});
    }
    insert.Run(db, params);
  });
}

}  // namespace

absl::StatusOr<bool> TierReviews::Recorded(const std::string& review_id) {
  bool found = false;
  absl::Status status = WithConnection(pool_, "find tier review", [&](DbConnection& db) {
    sql::PreparedStatement& select = db.Prepare(kReviewExists);
    BindAll(select, {review_id});
    std::unique_ptr<sql::ResultSet> row(select.executeQuery());
    found = row->next();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return found;
}

void TierReviews::RecordReview(DbConnection& db, const Mutation& m, const std::string& review_id,
                               const v1::TierReviewParameters& parameters, bool dry_run,
                               const Proposal& proposal) {
  const int32_t changed = static_cast<int32_t>(proposal.changes.size());
  const int32_t unchanged = proposal.reviewed - changed;
  // Applying starts once this commits: until every change is applied the review is partial.
  const v1::ReviewState state = dry_run       ? v1::REVIEW_STATE_DRY_RUN
                                : changed > 0 ? v1::REVIEW_STATE_PARTIAL
                                              : v1::REVIEW_STATE_APPLIED;
  const int64_t pending = dry_run ? 0 : changed;
  const std::string parameters_json = ParametersJson(parameters);
  static const std::string* const kInsertReview = new std::string(InsertReviewSql());
  sql::PreparedStatement& insert = db.Prepare(*kInsertReview);
  BindAll(insert,
          {review_id, m.actor, m.now, parameters_json, Enum(state), int64_t{proposal.reviewed},
           int64_t{proposal.promotions}, int64_t{proposal.demotions}, int64_t{unchanged}, pending,
           proposal.facts.accounts_sequence(), proposal.facts.complaints_sequence()});
  insert.executeUpdate();
  InsertChanges(db, review_id, proposal.changes);
  // The changes themselves are in tier_review_changes (a million would not fit an audit row).
  const nlohmann::json after = {{"review_id", review_id},
                                {"parameters", nlohmann::json::parse(parameters_json)},
                                {"dry_run", dry_run},
                                {"accounts_reviewed", proposal.reviewed},
                                {"promotions", proposal.promotions},
                                {"demotions", proposal.demotions},
                                {"unchanged", unchanged}};
  Record(db, m, "tier_review", "run", review_id, nullptr, after);
}

absl::StatusOr<v1::TierReview> TierReviews::Run(const Mutation& m,
                                                const v1::TierReviewParameters& parameters,
                                                bool dry_run) {
  const std::string review_id = ReviewIdFor(m.actor, m.request_id);
  absl::StatusOr<bool> recorded = Recorded(review_id);
  if (!recorded.ok()) return recorded.status();
  // The proposal takes seconds over a million accounts: a retry skips it.
  std::optional<Proposal> proposal;
  if (!*recorded) {
    absl::StatusOr<Proposal> proposed = Propose(parameters);
    if (!proposed.ok()) return proposed.status();
    proposal = *std::move(proposed);
  }
  bool fresh = false;
  const Codec<std::string> codec{
      [](const std::string& id) {
        return nlohmann::json{{"review_id", id}};
      },
      [](const nlohmann::json& j) { return j.at("review_id").get<std::string>(); }};
  absl::StatusOr<std::string> id = RunIdempotent<std::string>(
      pool_, m, "record tier review", codec, [&](DbConnection& db) -> absl::StatusOr<std::string> {
        // A review row is committed with its idempotency key, so this cannot happen.
        if (!proposal) return absl::InternalError("tier review recorded without its key");
        fresh = true;
        RecordReview(db, m, review_id, parameters, dry_run, *proposal);
        return review_id;
      });
  if (!id.ok()) return id.status();
  absl::StatusOr<v1::TierReview> review = Get(*id);
  if (!review.ok()) return review.status();
  if (!fresh) {
    if (absl::Status same = CheckSameRequest(*review, parameters, dry_run); !same.ok()) {
      return same;
    }
  }
  // A replayed request counts too: after a restart, the schedule's first run repeats its
  // interval's request and finds the review another process recorded, and without this the
  // gauge would read 0 (KamTierReviewNotRun) until the next interval.
  if (metrics_->last_run != nullptr) {
    const double run_time =
        static_cast<double>(review->run_time().seconds()) + review->run_time().nanos() / 1e9;
    if (run_time > metrics_->last_run->Value()) metrics_->last_run->Set(run_time);
  }
  if (review->state() != v1::REVIEW_STATE_PARTIAL) return review;
  if (absl::Status applied = ApplyPending(m, *id); !applied.ok()) return applied;
  return Get(*id);
}

absl::Status TierReviews::CheckSameRequest(const v1::TierReview& review,
                                           const v1::TierReviewParameters& parameters,
                                           bool dry_run) {
  const bool was_dry_run = review.state() == v1::REVIEW_STATE_DRY_RUN;
  if (was_dry_run != dry_run ||
      !google::protobuf::util::MessageDifferencer::Equals(review.parameters(), parameters)) {
    return InvalidField("request_id", "already used for a different request");
  }
  return absl::OkStatus();
}

absl::Status TierReviews::ApplyPending(const Mutation& m, const std::string& review_id) {
  int64_t after = 0;
  absl::Status unreachable;
  while (unreachable.ok()) {
    std::vector<PendingChange> slice;
    absl::Status read = WithConnection(pool_, "read pending tier changes", [&](DbConnection& db) {
      slice.clear();
      sql::PreparedStatement& select = db.Prepare(kPendingSlice);
      BindAll(select, {review_id, std::string(kSupersededText), after, kApplySlice});
      std::unique_ptr<sql::ResultSet> row(select.executeQuery());
      while (row->next()) {
        const auto current = row->isNull("current_tier")
                                 ? std::nullopt
                                 : std::optional<int>(row->getInt("current_tier"));
        slice.push_back(
            {row->getInt64("account_id"), static_cast<av1::Tier>(row->getInt("old_tier")),
             static_cast<av1::Tier>(row->getInt("new_tier")), row->getString("reason"), current});
      }
      return absl::OkStatus();
    });
    if (!read.ok()) return read;
    if (slice.empty()) break;
    after = slice.back().account_id;
    std::vector<int64_t> superseded;
    slice.erase(std::remove_if(slice.begin(), slice.end(),
                               [&](const PendingChange& c) {
                                 if (!Superseded(c.old_tier, c.new_tier, c.current_tier))
                                   return false;
                                 superseded.push_back(c.account_id);
                                 return true;
                               }),
                slice.end());
    const std::vector<absl::Status> results = ApplySlice(review_id, slice);
    if (absl::Status stored = StoreOutcome(m, review_id, slice, results, superseded);
        !stored.ok()) {
      return stored;
    }
    for (const absl::Status& result : results) {
      if (IsUnreachable(result)) unreachable = result;
    }
  }
  if (!unreachable.ok()) {
    // The changes after the last slice were not tried: they wait for the same reason.
    absl::Status marked = InTransaction(pool_, "mark tier changes", [&](DbConnection& db) {
      sql::PreparedStatement& update = db.Prepare(kSetErrorAfter);
      BindAll(update, {ErrorText(unreachable), review_id, std::string(kSupersededText), after});
      update.executeUpdate();
      return absl::OkStatus();
    });
    if (!marked.ok()) return marked;
  }
  if (absl::Status finished = FinishReview(review_id); !finished.ok()) return finished;
  if (unreachable.ok()) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat(kUnreachableText, " (tier review ", review_id, " is recorded as partial)"));
}

std::vector<absl::Status> TierReviews::ApplySlice(const std::string& review_id,
                                                  const std::vector<PendingChange>& slice) {
  std::vector<std::optional<absl::Status>> results(slice.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  absl::Status unreachable;
  auto work = [&] {
    for (size_t i = next++; i < slice.size() && !stop; i = next++) {
      const PendingChange& c = slice[i];
      absl::Status status = writer_.SetTier(c.account_id, c.new_tier, c.reason, review_id,
                                            TierRequestId(review_id, c.account_id));
      if (IsUnreachable(status)) {
        // No point in a thousand more timeouts: the rest wait for a retry.
        std::lock_guard<std::mutex> lock(mutex);
        if (unreachable.ok()) unreachable = status;
        stop = true;
      }
      results[i] = std::move(status);
    }
  };
  const int threads = static_cast<int>(std::min<size_t>(kApplyConcurrency, slice.size()));
  std::vector<std::thread> workers;
  for (int t = 1; t < threads; ++t) workers.emplace_back(work);
  work();
  for (std::thread& worker : workers) worker.join();
  std::vector<absl::Status> out;
  out.reserve(slice.size());
  for (std::optional<absl::Status>& result : results) {
    out.push_back(result ? *std::move(result) : unreachable);
  }
  return out;
}

absl::Status TierReviews::StoreOutcome(const Mutation& m, const std::string& review_id,
                                       const std::vector<PendingChange>& slice,
                                       const std::vector<absl::Status>& results,
                                       const std::vector<int64_t>& superseded) {
  std::vector<int64_t> applied;
  std::map<av1::Tier, std::vector<int64_t>> by_tier;
  std::map<std::string, std::vector<int64_t>> by_error;
  int promotions = 0;
  for (size_t i = 0; i < slice.size(); ++i) {
    if (results[i].ok()) {
      applied.push_back(slice[i].account_id);
      by_tier[slice[i].new_tier].push_back(slice[i].account_id);
      if (IsPromotion(slice[i].old_tier, slice[i].new_tier)) ++promotions;
    } else {
      by_error[ErrorText(results[i])].push_back(slice[i].account_id);
    }
  }
  std::vector<int64_t> accounts;
  accounts.reserve(slice.size());
  for (const PendingChange& change : slice) accounts.push_back(change.account_id);
  LogSetTierFailures(review_id, accounts, results);
  absl::Status status = InTransaction(pool_, "store tier changes", [&](DbConnection& db) {
    UpdateIn(db, kMarkAppliedHead, {review_id}, applied);
    for (const auto& [tier, ids] : by_tier) UpdateIn(db, kSetAccountTierHead, {Enum(tier)}, ids);
    for (const auto& [error, ids] : by_error) UpdateIn(db, kSetErrorHead, {error, review_id}, ids);
    UpdateIn(db, kSetErrorHead, {std::string(kSupersededText), review_id}, superseded);
    // Tiers changed: the audit row and the outbox event move the facts' version, so no cached
    // analysis result is served with the old tiers.
    sql::PreparedStatement& count = db.Prepare(kCountPending);
    BindAll(count, {review_id, std::string(kSupersededText)});
    std::unique_ptr<sql::ResultSet> row(count.executeQuery());
    row->next();
    const nlohmann::json after = {{"applied", applied.size()}, {"pending", row->getInt64(1)}};
    Record(db, m, "tier_review", "applied", review_id, nullptr, after);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (metrics_->promotions != nullptr) {
    metrics_->promotions->Increment(promotions);
    metrics_->demotions->Increment(static_cast<double>(applied.size()) - promotions);
  }
  return absl::OkStatus();
}

absl::Status TierReviews::FinishReview(const std::string& review_id) {
  return InTransaction(pool_, "finish tier review", [&](DbConnection& db) {
    sql::PreparedStatement& count = db.Prepare(kCountPending);
    BindAll(count, {review_id, std::string(kSupersededText)});
    std::unique_ptr<sql::ResultSet> row(count.executeQuery());
    row->next();
    const int64_t pending = row->getInt64(1);
    const v1::ReviewState state =
        pending == 0 ? v1::REVIEW_STATE_APPLIED : v1::REVIEW_STATE_PARTIAL;
    sql::PreparedStatement& update = db.Prepare(kSetOutcome);
    BindAll(update, {pending, Enum(state), review_id, Enum(v1::REVIEW_STATE_DRY_RUN)});
    update.executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::TierReview> TierReviews::Get(const std::string& review_id) {
  static const std::string* const kSelectReview = new std::string(SelectReviewSql());
  std::optional<v1::TierReview> review;
  absl::Status status = WithConnection(pool_, "get tier review", [&](DbConnection& db) {
    sql::PreparedStatement& select = db.Prepare(*kSelectReview);
    BindAll(select, {review_id});
    std::unique_ptr<sql::ResultSet> row(select.executeQuery());
    if (row->next()) review = ReadReview(*row);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!review) return absl::NotFoundError(absl::StrCat("tier review ", review_id, " not found"));
  return *std::move(review);
}

absl::StatusOr<Page<v1::TierReview>> TierReviews::List(int page_size,
                                                       const std::optional<ReviewCursor>& after) {
  static const std::string* const kListFirst = new std::string(ListFirstSql());
  static const std::string* const kListAfter = new std::string(ListAfterSql());
  Page<v1::TierReview> page;
  absl::Status status = WithConnection(pool_, "list tier reviews", [&](DbConnection& db) {
    page.items.clear();
    const int64_t limit = page_size + 1;
    sql::PreparedStatement& select = db.Prepare(after ? *kListAfter : *kListFirst);
    if (after) {
      BindAll(select, {after->run_time, after->run_time, after->review_id, limit});
    } else {
      BindAll(select, {limit});
    }
    std::unique_ptr<sql::ResultSet> row(select.executeQuery());
    while (row->next()) page.items.push_back(ReadReview(*row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  TrimPage(page, page_size);
  return page;
}

absl::StatusOr<Page<v1::TierChange>> TierReviews::ListChanges(const std::string& review_id,
                                                              int page_size,
                                                              int64_t after_account_id) {
  absl::StatusOr<bool> recorded = Recorded(review_id);
  if (!recorded.ok()) return recorded.status();
  if (!*recorded) return absl::NotFoundError(absl::StrCat("tier review ", review_id, " not found"));
  Page<v1::TierChange> page;
  absl::Status status = WithConnection(pool_, "list tier changes", [&](DbConnection& db) {
    page.items.clear();
    sql::PreparedStatement& select = db.Prepare(kListChanges);
    BindAll(select, {review_id, after_account_id, int64_t{page_size} + 1});
    std::unique_ptr<sql::ResultSet> row(select.executeQuery());
    while (row->next()) page.items.push_back(ReadChange(*row));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  TrimPage(page, page_size);
  return page;
}

// ---- The schedule ----

std::string LastCompleteQuarter(absl::Time now, absl::TimeZone zone) {
  const absl::CivilMonth month = absl::ToCivilMonth(now, zone);
  const absl::CivilMonth quarter_start(month.year(), month.month() - (month.month() - 1) % 3);
  const absl::CivilMonth previous = quarter_start - 3;
  return absl::StrFormat("%d-Q%d", previous.year(), (previous.month() - 1) / 3 + 1);
}

TierReviewSchedule::TierReviewSchedule(DbPool& pool, TierReviews& reviews, absl::TimeZone zone,
                                       absl::Duration every)
    : pool_(pool), reviews_(reviews), zone_(zone), every_(std::max(every, absl::Minutes(1))) {}

TierReviewSchedule::~TierReviewSchedule() { Stop(); }

void TierReviewSchedule::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void TierReviewSchedule::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<v1::TierReview> TierReviewSchedule::RunScheduled(absl::Time now) {
  v1::TierReviewParameters parameters;
  parameters.set_period(LastCompleteQuarter(now, zone_));
  absl::StatusOr<v1::TierReviewParameters> checked = CheckReviewParameters(parameters);
  if (!checked.ok()) return checked.status();
  v1::RunTierReviewRequest request;
  const int64_t interval = (now - absl::UnixEpoch()) / every_;
  request.set_request_id(absl::StrCat("scheduled-", checked->period(), "-", interval));
  *request.mutable_parameters() = *checked;
  const Mutation m{kScheduleActor,
                   request.request_id(),
                   RequestFingerprint("RunTierReview", request),
                   request.request_id(),
                   now,
                   "scheduled"};
  return reviews_.Run(m, *checked, /*dry_run=*/false);
}

absl::StatusOr<std::optional<v1::TierReview>> TierReviewSchedule::RunOnce(absl::Time now) {
  absl::StatusOr<DbConnection> lock_db = pool_.Acquire();
  if (!lock_db.ok()) return lock_db.status();
  try {
    std::unique_ptr<sql::ResultSet> got(lock_db->Prepare(kGetReviewLock).executeQuery());
    if (!got->next() || got->isNull(1) || got->getInt(1) != 1) return std::nullopt;
  } catch (const sql::SQLException& e) {
    if (IsConnectionError(e)) lock_db->MarkBroken();
    return MapSqlError(e, "tier review lock");
  }
  const absl::StatusOr<v1::TierReview> review = RunScheduled(now);
  try {
    std::unique_ptr<sql::ResultSet> released(lock_db->Prepare(kReleaseReviewLock).executeQuery());
  } catch (const sql::SQLException&) {
    // The server drops the lock with the connection.
    lock_db->MarkBroken();
  }
  if (!review.ok()) return review.status();
  return std::optional<v1::TierReview>(*review);
}

void TierReviewSchedule::Loop() {
  absl::Duration wait = kScheduleRetry;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (wake_.wait_for(lock, absl::ToChronoNanoseconds(wait), [this] { return stopping_; })) {
        return;
      }
    }
    absl::StatusOr<std::optional<v1::TierReview>> run = RunOnce(absl::Now());
    if (!run.ok()) {
      LogWarn("scheduled tier review failed, trying again in a minute",
              {{"error", run.status().ToString()}});
      wait = kScheduleRetry;
      continue;
    }
    if (*run) {
      const v1::TierReview& review = **run;
      LogInfo("scheduled tier review", {{"review_id", review.id()},
                                        {"period", review.parameters().period()},
                                        {"promotions", review.promotions()},
                                        {"demotions", review.demotions()},
                                        {"state", v1::ReviewState_Name(review.state())}});
    }
    // To the start of the next interval, where the next request_id begins.
    const absl::Duration since_epoch = absl::Now() - absl::UnixEpoch();
    wait = every_ - since_epoch % every_;
  }
}

}  // namespace kam::analytics
