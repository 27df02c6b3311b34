#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "services/accounts/engagement.h"
#include "services/accounts/store_support.h"

namespace kam::accounts {

// The records as audit rows, idempotent responses and contact_record.* / visit_plan.*
// events keep them.
nlohmann::json ContactRecordJson(const ContactRecord& record);
ContactRecord ContactRecordFromJson(const nlohmann::json& j);
nlohmann::json VisitPlanJson(const VisitPlan& plan);
VisitPlan VisitPlanFromJson(const nlohmann::json& j);

// The only code that talks SQL for contact records and visit plans. Every mutation holds
// the account's row lock (so it serialises with everything else done to that account, and
// the five-visits rule fires once), writes its rows, then the audit rows and outbox events
// (last), and is idempotent by (actor, request_id). NOT_FOUND names a missing account or
// plan; the edge hides it from callers who may not see every account.
class EngagementStore {
 public:
  explicit EngagementStore(DbPool& pool) : pool_(pool) {}

  struct RecordResult {
    ContactRecord record;
    bool visit_plan_suspended = false;  // this record took the account off the visit plan
  };

  // Stores `record` (made by NewContactRecord) after checking under the account's lock that
  // the caller may work on the account (CheckCanWork), that its contact_ids are contacts of
  // the account, and that visit_plan_id names a planned visit of the account, which becomes
  // completed. A visit then applies the five-visits rule (ShouldSuspend): the account is
  // flagged, its planned visits cancelled, and account.visit_plan_suspended emitted.
  absl::StatusOr<RecordResult> CreateContactRecord(const Mutation& mutation,
                                                   const Principal& caller,
                                                   const ContactRecord& record);

  // The account's records older than the record `after_id` (0: from the newest), newest
  // first by (occurred_at, id). INVALID_ARGUMENT on page_token when `after_id` is not a
  // record of the account.
  absl::StatusOr<Page<ContactRecord>> ListTimeline(int64_t account_id, int64_t after_id,
                                                   int page_size);

  // Stores `plan` (made by NewVisitPlan) after CheckCanPlan under the account's lock; the
  // owner is chosen by ChoosePlanOwner against the account's team.
  absl::StatusOr<VisitPlan> CreateVisitPlan(const Mutation& mutation, const Principal& caller,
                                            const VisitPlan& plan);

  // Plans matching `filter` (from ScopeVisitPlans) after the plan `after_id` (0: from the
  // start), by (planned_at, id). INVALID_ARGUMENT on page_token when `after_id` names no plan.
  absl::StatusOr<Page<VisitPlan>> ListVisitPlans(const VisitPlanFilter& filter, int64_t after_id,
                                                 int page_size);

  // Cancels a planned visit (CancelPlan) if the caller may work on its account (also when
  // the account is archived: a plan that can no longer happen can still be tidied away).
  // The reason is kept as cancel_reason and as the audit note.
  absl::StatusOr<VisitPlan> CancelVisitPlan(const Mutation& mutation, const Principal& caller,
                                            int64_t plan_id, const std::string& reason);

  // Puts the account back on the visit plan (PutBackOnVisitPlan); emits
  // account.visit_plan_restored with the reason as the audit note.
  absl::StatusOr<Account> RestoreVisitPlan(const Mutation& mutation, const Principal& caller,
                                           int64_t account_id, const std::string& reason);

 private:
  DbPool& pool_;
};

}  // namespace kam::accounts
