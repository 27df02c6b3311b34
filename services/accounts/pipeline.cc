#include "services/accounts/pipeline.h"

#include <algorithm>
#include <limits>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/settings.h"
#include "services/common/status.h"
#include "services/common/validation.h"

namespace kam::accounts {
namespace {

constexpr size_t kMaxName = 200;
constexpr size_t kMaxText = 1000;
constexpr size_t kMaxApproval = 500;
constexpr size_t kMaxReason = 500;

const std::set<std::string>& UpdatablePaths() {
  static const auto* paths = new std::set<std::string>{"name",
                                                       "amount",
                                                       "expected_close_time",
                                                       "needs",
                                                       "budget",
                                                       "timetable",
                                                       "competition",
                                                       "decision_makers",
                                                       "presales_approval",
                                                       "relationship_progress",
                                                       "bid_submit_time",
                                                       "contract_id",
                                                       "acceptance_time"};
  return *paths;
}

Stage Next(Stage stage) { return static_cast<Stage>(static_cast<int>(stage) + 1); }

// What the key node of `stage` still lacks, in the words of the API; empty when recorded.
std::vector<std::string> MissingKeyNode(const Opportunity& o, Stage stage, ContractState contract) {
  std::vector<std::string> missing;
  auto need = [&](bool present, std::string what) {
    if (!present) missing.push_back(std::move(what));
  };
  auto signed_contract = [&]() -> std::string {
    switch (contract) {
      case ContractState::kSigned:
        return "";
      case ContractState::kNone:
        return "a signed contract (contract_id)";
      case ContractState::kNotOfAccount:
        return absl::StrCat("a signed contract (contract ", o.contract_id,
                            " is not a contract of this account)");
      case ContractState::kUnsigned:
        return absl::StrCat("a signed contract (contract ", o.contract_id, " is not signed)");
    }
    return "a signed contract";
  };
  switch (stage) {
    case Stage::kCustomerDevelopment:
      need(!o.needs.empty(), "needs");
      need(o.budget_minor.has_value(), "budget");
      need(!o.timetable.empty(), "timetable");
      break;
    case Stage::kProjectInitiation:
      need(!o.presales_approval.empty(), "presales_approval");
      break;
    case Stage::kProposal:
      need(!o.relationship_progress.empty(), "relationship_progress");
      break;
    case Stage::kBidding:
      need(o.bid_submit_time.has_value(), "bid_submit_time");
      break;
    case Stage::kCommercialNegotiation:
      need(contract == ContractState::kSigned, signed_contract());
      break;
    case Stage::kImplementation:
      need(o.acceptance_time.has_value(), "acceptance_time");
      need(contract == ContractState::kSigned, signed_contract());
      break;
    default:
      break;
  }
  return missing;
}

absl::Status ValidateFields(const Opportunity& o) {
  if (auto s = CheckText("opportunity.name", o.name, kMaxName, true); !s.ok()) return s;
  if (o.amount_minor < 0) return InvalidField("opportunity.amount", "must not be negative");
  if (o.budget_minor && *o.budget_minor < 0) {
    return InvalidField("opportunity.budget", "must not be negative");
  }
  const std::pair<const char*, const std::string*> texts[] = {
      {"opportunity.needs", &o.needs},
      {"opportunity.timetable", &o.timetable},
      {"opportunity.competition", &o.competition},
      {"opportunity.decision_makers", &o.decision_makers},
      {"opportunity.relationship_progress", &o.relationship_progress}};
  for (const auto& [field, value] : texts) {
    if (auto s = CheckText(field, *value, kMaxText, false); !s.ok()) return s;
  }
  if (auto s = CheckText("opportunity.presales_approval", o.presales_approval, kMaxApproval, false);
      !s.ok()) {
    return s;
  }
  if (o.contract_id < 0) return InvalidField("opportunity.contract_id", "must be a positive id");
  return absl::OkStatus();
}

absl::Status CheckContractReference(const Opportunity& o, ContractState contract) {
  if (o.contract_id == 0 || contract != ContractState::kNotOfAccount) return absl::OkStatus();
  return InvalidField(
      "opportunity.contract_id",
      absl::StrCat("contract ", o.contract_id, " is not a contract of account ", o.account_id));
}

void CopyField(const std::string& path, const Opportunity& from, Opportunity& to) {
  if (path == "name") to.name = from.name;
  if (path == "amount") to.amount_minor = from.amount_minor;
  if (path == "expected_close_time") to.expected_close_time = from.expected_close_time;
  if (path == "needs") to.needs = from.needs;
  if (path == "budget") to.budget_minor = from.budget_minor;
  if (path == "timetable") to.timetable = from.timetable;
  if (path == "competition") to.competition = from.competition;
  if (path == "decision_makers") to.decision_makers = from.decision_makers;
  if (path == "presales_approval") to.presales_approval = from.presales_approval;
  if (path == "relationship_progress") to.relationship_progress = from.relationship_progress;
  if (path == "bid_submit_time") to.bid_submit_time = from.bid_submit_time;
  if (path == "contract_id") to.contract_id = from.contract_id;
  if (path == "acceptance_time") to.acceptance_time = from.acceptance_time;
}

absl::Status CheckPaths(const std::vector<std::string>& paths) {
  if (paths.empty()) return InvalidField("update_mask", "required: name the fields to change");
  for (const std::string& path : paths) {
    if (UpdatablePaths().count(path) == 0) {
      return InvalidField("update_mask",
                          absl::StrCat("\"", path, "\" is not a field that can be updated"));
    }
  }
  return absl::OkStatus();
}

// Checks shared by every change of an existing opportunity after access: what was sent,
// then the state it was sent against.
absl::Status CheckChangeable(const Opportunity& current, std::string_view etag,
                             const Account& account) {
  if (etag.empty()) return InvalidField("etag", "required: send the etag you read");
  if (account.archived) return absl::FailedPreconditionError("the account is archived");
  if (etag != Etag(current)) {
    return absl::AbortedError("etag is stale: the opportunity changed since it was read");
  }
  return absl::OkStatus();
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (b > 0 && a > std::numeric_limits<int64_t>::max() - b) {
    return std::numeric_limits<int64_t>::max();
  }
  return a + b;
}

int32_t ClampCount(int64_t n) {
  return static_cast<int32_t>(std::min<int64_t>(n, std::numeric_limits<int32_t>::max()));
}

}  // namespace

std::string StageName(Stage stage) {
  switch (stage) {
    case Stage::kUnspecified:
      return "UNSPECIFIED";
    case Stage::kCustomerDevelopment:
      return "CUSTOMER_DEVELOPMENT";
    case Stage::kProjectInitiation:
      return "PROJECT_INITIATION";
    case Stage::kProposal:
      return "PROPOSAL";
    case Stage::kBidding:
      return "BIDDING";
    case Stage::kCommercialNegotiation:
      return "COMMERCIAL_NEGOTIATION";
    case Stage::kImplementation:
      return "IMPLEMENTATION";
    case Stage::kWon:
      return "WON";
    case Stage::kLost:
      return "LOST";
  }
  return absl::StrCat("stage ", static_cast<int>(stage));
}

bool IsOpen(Stage stage) {
  return stage >= Stage::kCustomerDevelopment && stage <= Stage::kImplementation;
}

bool IsClosed(Stage stage) { return stage == Stage::kWon || stage == Stage::kLost; }

std::string Etag(const Opportunity& opportunity) { return absl::StrCat("v", opportunity.version); }

int32_t StageProbabilities::For(Stage stage) const {
  if (stage == Stage::kWon) return 100;
  if (!IsOpen(stage)) return 0;
  return open_percent[static_cast<int>(stage) - 1];
}

absl::StatusOr<StageProbabilities> ParseStageProbabilities(std::string_view text) {
  const std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(text.data(), text.size()), ',');
  if (parts.size() != kOpenStages) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected 6 comma-separated percentages, one per open stage (e.g. "
                     "\"10,20,40,60,80,90\"), got ",
                     parts.size()));
  }
  StageProbabilities parsed;
  for (int i = 0; i < kOpenStages; ++i) {
    const std::string stage = StageName(static_cast<Stage>(i + 1));
    int value = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(parts[i]), &value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(stage, ": \"", std::string(parts[i]), "\" is not an integer"));
    }
    if (value < 0 || value > 100) {
      return absl::InvalidArgumentError(absl::StrCat(stage, ": ", value, " is not within 0-100"));
    }
    if (i > 0 && value < parsed.open_percent[i - 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat(stage, ": ", value, " is less than the ", parsed.open_percent[i - 1],
                       " of the stage before (probabilities must not decrease)"));
    }
    parsed.open_percent[i] = value;
  }
  return parsed;
}

void AddStageProbabilitiesFlag(Settings& settings, StageProbabilities& out) {
  const CLI::Validator valid(
      [](std::string& text) -> std::string {
        absl::StatusOr<StageProbabilities> parsed = ParseStageProbabilities(text);
        return parsed.ok() ? "" : std::string(parsed.status().message());
      },
      "P1,...,P6", "stage probabilities");
  settings.app()
      .add_option_function<std::string>(
          "--stage-probabilities",
          [&out](const std::string& text) { out = *ParseStageProbabilities(text); },
          "default win probability (percent) of each open stage, in stage order")
      ->envname("KAM_STAGE_PROBABILITIES")
      ->check(valid)
      ->default_str(absl::StrJoin(out.open_percent, ","));
}

int64_t WeightedAmount(int64_t amount_minor, int32_t percent) {
  // amount = 100q + r: amount x p / 100 = q x p + r x p / 100, and q x p <= amount.
  const int64_t q = amount_minor / 100;
  const int64_t r = amount_minor % 100;
  return q * percent + (r * percent + 50) / 100;
}

bool CanReadPipeline(const Principal& caller, bool works_on) {
  return CanRead(caller, works_on) && SeesFinancials(caller);
}

absl::Status CheckStageMove(const Opportunity& current, Stage to, std::string_view reason,
                            ContractState contract) {
  const Stage from = current.stage;
  if (to == Stage::kUnspecified || static_cast<int>(to) < 0 || static_cast<int>(to) > kLastStage) {
    return InvalidField("to_stage", "name the stage to move to");
  }
  if (IsClosed(from)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the opportunity is ", StageName(from), ": a closed opportunity cannot move"));
  }
  if (to == from) {
    return InvalidField("to_stage",
                        absl::StrCat("the opportunity is already in stage ", StageName(to)));
  }
  const bool has_reason = !reason.empty();
  if (to == Stage::kLost) {
    if (has_reason) return absl::OkStatus();
    return absl::FailedPreconditionError("moving to LOST needs a reason");
  }
  if (to == Stage::kWon && from != Stage::kImplementation) {
    return absl::FailedPreconditionError(absl::StrCat(
        "an opportunity is WON only from IMPLEMENTATION; this one is in ", StageName(from)));
  }
  if (to < from) {
    if (has_reason) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat("moving back from ", StageName(from), " to ",
                                                      StageName(to), " needs a reason"));
  }
  if (to != Next(from)) {
    std::vector<std::string> skipped;
    for (Stage s = Next(from); s < to; s = Next(s)) skipped.push_back(StageName(s));
    return absl::FailedPreconditionError(
        absl::StrCat("moving from ", StageName(from), " to ", StageName(to), " skips stage",
                     skipped.size() > 1 ? "s " : " ", absl::StrJoin(skipped, ", "),
                     ": move one stage at a time"));
  }
  const std::vector<std::string> missing = MissingKeyNode(current, from, contract);
  if (missing.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("stage ", StageName(from), " needs ",
                                                    absl::StrJoin(missing, ", "), " before ",
                                                    StageName(to)));
}

absl::StatusOr<Opportunity> NewOpportunity(Opportunity draft, const Account& account, bool works_on,
                                           ContractState contract, const Principal& caller,
                                           const StageProbabilities& probabilities,
                                           absl::Time now) {
  if (!CanWork(caller, works_on)) return absl::PermissionDeniedError("no access to this account");
  if (account.archived) return absl::FailedPreconditionError("the account is archived");
  draft.account_id = account.id;
  if (auto s = ValidateFields(draft); !s.ok()) return s;
  if (auto s = CheckContractReference(draft, contract); !s.ok()) return s;
  draft.id = 0;
  draft.owner_id = account.owner_id;
  draft.account_tier = account.tier;
  draft.stage = Stage::kCustomerDevelopment;
  draft.probability_percent = probabilities.For(draft.stage);
  draft.lost_reason.clear();
  draft.close_time.reset();
  draft.version = 1;
  draft.create_time = draft.update_time = now;
  return draft;
}

absl::StatusOr<Opportunity> ApplyOpportunityUpdate(Opportunity current, const Opportunity& patch,
                                                   const std::vector<std::string>& paths,
                                                   std::string_view etag, const Account& account,
                                                   bool works_on, ContractState patch_contract,
                                                   const Principal& caller, absl::Time now) {
  if (!CanWork(caller, works_on)) return absl::PermissionDeniedError("no access to this account");
  if (auto s = CheckPaths(paths); !s.ok()) return s;
  if (auto s = CheckChangeable(current, etag, account); !s.ok()) return s;
  if (IsClosed(current.stage)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the opportunity is ", StageName(current.stage), ": won and lost ones are read-only"));
  }
  const bool contract_changes = std::find(paths.begin(), paths.end(), "contract_id") != paths.end();
  for (const std::string& path : paths) CopyField(path, patch, current);
  if (auto s = ValidateFields(current); !s.ok()) return s;
  if (contract_changes) {
    if (auto s = CheckContractReference(current, patch_contract); !s.ok()) return s;
  }
  ++current.version;
  current.update_time = now;
  return current;
}

absl::StatusOr<Opportunity> MoveToStage(Opportunity current, const MoveRequest& move,
                                        const Account& account, bool works_on,
                                        ContractState contract, const Principal& caller,
                                        const StageProbabilities& probabilities, absl::Time now) {
  if (!CanWork(caller, works_on)) return absl::PermissionDeniedError("no access to this account");
  if (auto s = CheckText("reason", move.reason, kMaxReason, false); !s.ok()) return s;
  if (auto s = CheckChangeable(current, move.etag, account); !s.ok()) return s;
  if (auto s = CheckStageMove(current, move.to_stage, move.reason, contract); !s.ok()) return s;
  current.stage = move.to_stage;
  current.probability_percent = probabilities.For(move.to_stage);
  if (move.to_stage == Stage::kLost) current.lost_reason = move.reason;
  if (IsClosed(move.to_stage)) current.close_time = now;
  ++current.version;
  current.update_time = now;
  return current;
}

absl::StatusOr<OpportunityFilter> ScopeOpportunityFilter(OpportunityFilter requested,
                                                         const Principal& caller) {
  if (auto s = CheckToken("owner_id", requested.owner_id, kMaxSubjectChars, false); !s.ok()) {
    return s;
  }
  if (requested.account_id < 0) return InvalidField("account_id", "must be a positive id");
  if (auto s = CheckEnum("stage", static_cast<int>(requested.stage), kLastStage, false); !s.ok()) {
    return s;
  }
  if (!CanReadPipeline(caller, /*works_on=*/true)) {
    return absl::PermissionDeniedError("your role may not read the pipeline");
  }
  requested.member_id = SeesAllAccounts(caller) ? "" : caller.subject;
  return requested;
}

absl::StatusOr<SummaryScope> OwnerSummaryScope(const std::string& owner_id,
                                               const Principal& caller) {
  if (auto s = CheckToken("owner_id", owner_id, kMaxSubjectChars, true); !s.ok()) return s;
  if (!CanReadPipeline(caller, /*works_on=*/true)) {
    return absl::PermissionDeniedError("your role may not read the pipeline");
  }
  const bool sees_all = SeesAllAccounts(caller);
  if (!sees_all && owner_id != caller.subject) {
    return absl::PermissionDeniedError("account managers may see only their own pipeline");
  }
  SummaryScope scope;
  scope.kind = SummaryScope::Kind::kOwner;
  scope.owner_id = owner_id;
  scope.member_id = sees_all ? "" : caller.subject;
  return scope;
}

SummaryScope AccountSummaryScope(SummaryScope::Kind kind, int64_t account_id,
                                 const Principal& caller) {
  SummaryScope scope;
  scope.kind = kind;
  scope.account_id = account_id;
  scope.member_id = SeesAllAccounts(caller) ? "" : caller.subject;
  return scope;
}

PipelineSummary Summarize(const std::vector<StageRow>& rows, bool partial) {
  PipelineSummary summary;
  summary.partial = partial;
  for (int i = 1; i <= kOpenStages; ++i) {
    summary.stages.push_back({static_cast<Stage>(i), 0, 0, 0});
  }
  for (const StageRow& row : rows) {
    if (row.stage == Stage::kWon) summary.won = ClampCount(summary.won + row.opportunities);
    if (row.stage == Stage::kLost) summary.lost = ClampCount(summary.lost + row.opportunities);
    if (!IsOpen(row.stage)) continue;
    StageTotal& total = summary.stages[static_cast<int>(row.stage) - 1];
    total.opportunities = ClampCount(total.opportunities + row.opportunities);
    total.amount_minor = SaturatingAdd(total.amount_minor, row.amount_minor);
    total.weighted_minor = SaturatingAdd(total.weighted_minor, row.weighted_minor);
    summary.open_amount_minor = SaturatingAdd(summary.open_amount_minor, row.amount_minor);
    summary.weighted_minor = SaturatingAdd(summary.weighted_minor, row.weighted_minor);
  }
  return summary;
}

}  // namespace kam::accounts
