#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/accounts/pipeline.h"
#include "services/accounts/store_support.h"

namespace kam::accounts {

// An opportunity with what the caller is to its account.
struct OpportunityView {
  Opportunity opportunity;
  bool works_on = false;  // the caller owns the account or is on its team
};

// The opportunity as audit rows, idempotent responses and opportunity.* events keep it.
nlohmann::json OpportunityJson(const Opportunity& opportunity);
Opportunity OpportunityFromJson(const nlohmann::json& j);

// The only code that talks SQL for the pipeline. Every mutation writes its rows, an audit row
// and an outbox event (last) in one transaction, and is idempotent by (actor, request_id).
class PipelineStore {
 public:
  PipelineStore(DbPool& pool, StageProbabilities probabilities)
      : pool_(pool), probabilities_(probabilities) {}

  // The deployment's stage probabilities, for the rules that set probability_percent.
  const StageProbabilities& probabilities() const { return probabilities_; }

  // Tells the rules what a contract id names for the account concerned, read inside the
  // change's transaction.
  using ContractLookup = std::function<ContractState(int64_t contract_id)>;

  // Creates an opportunity once `decide` accepts it for the account (row-locked, with the
  // caller's relation), with its first stage change (UNSPECIFIED -> its stage) and an
  // opportunity.created event. NOT_FOUND when no account has `account_id`.
  using CreateRule = std::function<absl::StatusOr<Opportunity>(const AccountView& account,
                                                               const ContractLookup& contracts)>;
  absl::StatusOr<Opportunity> Create(const Mutation& mutation, int64_t account_id,
                                     const CreateRule& decide);

  // Reads the opportunity under a row lock with its account, lets `change` (a pure rule from
  // pipeline.h) decide the new state and writes it. Update emits opportunity.updated; Move
  // also keeps a stage change (from, to, actor, `reason`, time) and emits
  // opportunity.stage_changed. NOT_FOUND when no opportunity has `id`.
  using ChangeRule = std::function<absl::StatusOr<Opportunity>(
      const Opportunity& current, const AccountView& account, const ContractLookup& contracts)>;
  absl::StatusOr<Opportunity> Update(const Mutation& mutation, int64_t id,
                                     const ChangeRule& change);
  absl::StatusOr<Opportunity> Move(const Mutation& mutation, int64_t id, const std::string& reason,
                                   const ChangeRule& change);

  // NOT_FOUND when no opportunity has `id`.
  absl::StatusOr<OpportunityView> Get(int64_t id, const std::string& subject);
  // Opportunities matching `filter` with id > after_id, ascending by id, at most page_size;
  // with filter.member_id, only those of accounts that member works on.
  absl::StatusOr<Page<Opportunity>> List(const OpportunityFilter& filter, int64_t after_id,
                                         int page_size);
  // Every stage change of the opportunity, oldest first.
  absl::StatusOr<std::vector<StageChange>> ListStageChanges(int64_t opportunity_id);

  // The pipeline of `scope`, added up by the database in one query.
  absl::StatusOr<PipelineSummary> Summarize(const SummaryScope& scope);

 private:
  absl::StatusOr<Opportunity> Change(const Mutation& mutation, int64_t id, const char* context,
                                     const std::string* move_reason, const ChangeRule& change);

  DbPool& pool_;
  const StageProbabilities probabilities_;
};

}  // namespace kam::accounts
