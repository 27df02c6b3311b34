#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/accounts/workflow.h"
#include "services/common/identity.h"

namespace kam {
class Settings;
}

// Domain types and pure rules of the six-stage sales pipeline (大客户销售流程): the stage
// gates, validation and stage probabilities. No gRPC, no SQL, time passed in.
namespace kam::accounts {

// Numbering matches kam.accounts.v1.Stage so that the edge converts with a cast.
enum class Stage {
  kUnspecified,
  kCustomerDevelopment,
  kProjectInitiation,
  kProposal,
  kBidding,
  kCommercialNegotiation,
  kImplementation,
  kWon,
  kLost
};
inline constexpr int kLastStage = static_cast<int>(Stage::kLost);
inline constexpr int kOpenStages = 6;

// The proto name without prefix ("PROPOSAL"), as error messages name stages.
std::string StageName(Stage stage);
// One of the six working stages (neither won, lost nor unspecified).
bool IsOpen(Stage stage);
bool IsClosed(Stage stage);

// A sales opportunity with one account. Money in minor units of the one currency.
struct Opportunity {
  int64_t id = 0;
  int64_t account_id = 0;
  std::string name;
  std::string owner_id;
  Stage stage = Stage::kUnspecified;
  int64_t amount_minor = 0;
  int32_t probability_percent = 0;
  std::optional<absl::Time> expected_close_time;
  std::string needs;
  std::optional<int64_t> budget_minor;  // unknown until given
  std::string timetable;
  std::string competition;
  std::string decision_makers;
  Tier account_tier = Tier::kUnspecified;
  // Key nodes of stages 2..6 (needs, budget and timetable are the first).
  std::string presales_approval;
  std::string relationship_progress;
  std::optional<absl::Time> bid_submit_time;
  int64_t contract_id = 0;  // 0: none
  std::optional<absl::Time> acceptance_time;
  std::string lost_reason;
  std::optional<absl::Time> close_time;
  absl::Time create_time;
  absl::Time update_time;
  int64_t version = 1;
};

// One stage change, kept for ever (stage_changes).
struct StageChange {
  int64_t opportunity_id = 0;
  Stage from_stage = Stage::kUnspecified;
  Stage to_stage = Stage::kUnspecified;
  std::string actor;
  std::string reason;
  absl::Time change_time;
};

// What an opportunity's contract_id names, looked up by the store in the change's transaction.
enum class ContractState {
  kNone,          // contract_id is 0
  kNotOfAccount,  // no contract with that id belongs to the opportunity's account
  kUnsigned,
  kSigned
};

// The etag clients send back with an update or a move: the row version, opaque to them.
std::string Etag(const Opportunity& opportunity);

// ---- Stage probabilities ----

// The default win probability of each open stage, set per deployment.
struct StageProbabilities {
  std::array<int32_t, kOpenStages> open_percent = {10, 20, 40, 60, 80, 90};

  // The percentage an opportunity in `stage` carries: the configured one for open stages,
  // 100 for WON and 0 for LOST.
  int32_t For(Stage stage) const;
};

// Parses "10,20,40,60,80,90": six integers 0-100, one per open stage in order,
// non-decreasing (a later stage is never less likely to close). INVALID_ARGUMENT says what
// is wrong with the text, without naming any flag.
absl::StatusOr<StageProbabilities> ParseStageProbabilities(std::string_view text);

// Registers --stage-probabilities (KAM_STAGE_PROBABILITIES) on `settings`, parsed into `out`
// (which keeps its value when the option is not given). A bad value makes Settings::Parse fail
// with one line naming the flag, so the process exits at start.
void AddStageProbabilitiesFlag(Settings& settings, StageProbabilities& out);

// amount x percent / 100 in minor units, rounded half up (amount_minor >= 0), without
// overflow for any int64 amount. The summary's weighted figures are sums of these.
int64_t WeightedAmount(int64_t amount_minor, int32_t percent);

// ---- Access ----

// Opportunities carry money: readable by those who may read the account and see
// financials (so not by service agents and handlers).
bool CanReadPipeline(const Principal& caller, bool works_on);

// ---- Rules ----

// The stage gate, pure: whether an opportunity as it stands may move to `to`.
//  - INVALID_ARGUMENT on to_stage: UNSPECIFIED, unknown, or the stage it is in;
//  - FAILED_PRECONDITION: closed (WON/LOST); LOST or moving back without a reason; WON from
//    any stage but IMPLEMENTATION, or without acceptance_time and a signed contract;
//    skipping stages (naming them); leaving a stage forward without its key node (naming
//    what is missing).
// `contract` is the state of current.contract_id. `reason` counts when not empty.
absl::Status CheckStageMove(const Opportunity& current, Stage to, std::string_view reason,
                            ContractState contract);

// The opportunity as it will be created on `account` (locked): validated (INVALID_ARGUMENT
// naming "opportunity.<field>"), owner and tier copied from the account, starting in
// CUSTOMER_DEVELOPMENT with its probability. PERMISSION_DENIED unless the caller may work on
// the account; FAILED_PRECONDITION when it is archived. `contract` is the state of
// draft.contract_id, which must be 0 or a contract of the account (signed or not).
absl::StatusOr<Opportunity> NewOpportunity(Opportunity draft, const Account& account, bool works_on,
                                           ContractState contract, const Principal& caller,
                                           const StageProbabilities& probabilities, absl::Time now);

// Applies the fields named by `paths` from `patch`. Errors: PERMISSION_DENIED (may not work on
// the account), INVALID_ARGUMENT (unknown path, bad value, missing etag, contract_id naming
// no contract of the account), FAILED_PRECONDITION (won/lost, or the account archived),
// ABORTED (etag stale). `patch_contract` is the state of patch.contract_id.
absl::StatusOr<Opportunity> ApplyOpportunityUpdate(Opportunity current, const Opportunity& patch,
                                                   const std::vector<std::string>& paths,
                                                   std::string_view etag, const Account& account,
                                                   bool works_on, ContractState patch_contract,
                                                   const Principal& caller, absl::Time now);

struct MoveRequest {
  Stage to_stage = Stage::kUnspecified;
  std::string reason;
  std::string etag;
};

// Moves `current` to move.to_stage: access, etag, then CheckStageMove; on success the stage,
// its probability, lost_reason (LOST), close_time (WON/LOST), version and update_time are set.
// Errors as CheckStageMove, plus PERMISSION_DENIED, INVALID_ARGUMENT (reason longer than 500
// characters or missing etag), FAILED_PRECONDITION (account archived), ABORTED (etag stale).
absl::StatusOr<Opportunity> MoveToStage(Opportunity current, const MoveRequest& move,
                                        const Account& account, bool works_on,
                                        ContractState contract, const Principal& caller,
                                        const StageProbabilities& probabilities, absl::Time now);

// ---- Lists ----

struct OpportunityFilter {
  std::string owner_id;
  int64_t account_id = 0;
  Stage stage = Stage::kUnspecified;
  bool open_only = false;
  // Set by ScopeOpportunityFilter for account managers: only accounts this member works on.
  std::string member_id;
};

// The filter a caller may run: validated (INVALID_ARGUMENT naming the field), limited to the
// accounts they work on for account managers; PERMISSION_DENIED for roles that may not read
// the pipeline.
absl::StatusOr<OpportunityFilter> ScopeOpportunityFilter(OpportunityFilter requested,
                                                         const Principal& caller);

// ---- Summary ----

struct SummaryScope {
  enum class Kind { kOwner, kAccount, kGroup };
  Kind kind = Kind::kOwner;
  std::string owner_id;    // kOwner
  int64_t account_id = 0;  // kAccount: the account; kGroup: the group's root
  // Non-empty: count only accounts this member works on (account managers).
  std::string member_id;
};

// The scope of an owner's summary: managers may ask only for themselves (PERMISSION_DENIED);
// PERMISSION_DENIED for roles that may not read the pipeline; INVALID_ARGUMENT on owner_id.
absl::StatusOr<SummaryScope> OwnerSummaryScope(const std::string& owner_id,
                                               const Principal& caller);
// The scope of an account's or a group's summary, for a caller who may read that account.
SummaryScope AccountSummaryScope(SummaryScope::Kind kind, int64_t account_id,
                                 const Principal& caller);

// What the database adds up per stage (one row per stage present).
struct StageRow {
  Stage stage = Stage::kUnspecified;
  int64_t opportunities = 0;
  int64_t amount_minor = 0;
  int64_t weighted_minor = 0;  // sum of WeightedAmount over the stage
};

struct StageTotal {
  Stage stage = Stage::kUnspecified;
  int32_t opportunities = 0;
  int64_t amount_minor = 0;
  int64_t weighted_minor = 0;
};

struct PipelineSummary {
  std::vector<StageTotal> stages;  // the six open stages in order, zeros included
  int64_t open_amount_minor = 0;
  int64_t weighted_minor = 0;
  int32_t won = 0;
  int32_t lost = 0;
  bool partial = false;
};

// Folds per-stage rows into the summary: every open stage once in order, totals over the open
// stages (saturating at the int64 range), won and lost counts.
PipelineSummary Summarize(const std::vector<StageRow>& rows, bool partial);

}  // namespace kam::accounts
