#pragma once

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

// Working the account (DOMAIN.md): contact records (客户接触记录), the account's timeline,
// and visit plans (客户访问计划) with the five-visits rule. Domain types and pure rules: no
// gRPC, no SQL, time passed in.
//
// The five-visits rule: an account whose latest kVisitsWithoutResult VISIT records all have
// outcome NO_RESULT is taken off the visit plan (flagged, its planned visits cancelled) until
// a director puts it back. "Latest" is by the time the visit happened (occurred_at, then id),
// not by when it was recorded: a backdated visit counts where it happened, so recording an
// old visit late can complete a streak or break one. Visits before the account's
// visit_streak_since (set when a director restores it) do not count.
namespace kam::accounts {

// Numbering matches kam.accounts.v1 so that the edge converts with a cast.
enum class ContactKind { kUnspecified, kVisit, kCall, kMeeting, kEmail, kEvent };
enum class ContactOutcome { kUnspecified, kEffective, kNoResult };
enum class VisitPlanStatus { kUnspecified, kPlanned, kCompleted, kCancelled };

// How many visits in a row without result take an account off the visit plan.
inline constexpr int kVisitsWithoutResult = 5;
// cancel_reason of the planned visits the rule cancels.
inline constexpr char kSuspensionReason[] = "five visits in a row without result";
// A contact "now" on the client's clock may be slightly ahead of ours.
inline constexpr absl::Duration kAllowedClockSkew = absl::Minutes(5);
inline constexpr int kMaxContactsMet = 20;

// One contact with the customer.
struct ContactRecord {
  int64_t id = 0;
  int64_t account_id = 0;
  ContactKind kind = ContactKind::kUnspecified;
  absl::Time occurred_at;            // microsecond precision, as stored
  std::vector<int64_t> contact_ids;  // the account's contacts met
  std::string attendees;
  std::string summary;
  ContactOutcome outcome = ContactOutcome::kUnspecified;
  std::string next_step;
  int64_t visit_plan_id = 0;  // the planned visit it completes; 0 for none
  std::string author_id;
  absl::Time create_time;
};

// A planned visit.
struct VisitPlan {
  int64_t id = 0;
  int64_t account_id = 0;
  std::string owner_id;   // who visits
  absl::Time planned_at;  // 00:00 UTC of the planned day
  std::string objective;
  VisitPlanStatus status = VisitPlanStatus::kUnspecified;
  int64_t contact_record_id = 0;  // the record that completed it
  std::string cancel_reason;
  absl::Time create_time;
  absl::Time update_time;
};

// Filters of ListVisitPlans, after access rules were applied.
struct VisitPlanFilter {
  std::string owner_id;                                    // "" = any
  int64_t account_id = 0;                                  // 0 = any
  VisitPlanStatus status = VisitPlanStatus::kUnspecified;  // unspecified = any
  bool overdue_only = false;
  // "" = every account; otherwise only plans of accounts this subject works on.
  std::string visible_to;
  absl::Time today;  // 00:00 UTC of the call's day: plans before it are overdue
};

// 00:00 UTC of the day `t` falls on.
absl::Time StartOfDayUtc(absl::Time t);

// Still planned and its day is over (before the UTC day of `now`).
bool IsOverdue(const VisitPlan& plan, absl::Time now);

// PERMISSION_DENIED unless `caller` may record work on the account (CanWork);
// FAILED_PRECONDITION when it is archived.
absl::Status CheckCanWork(const Principal& caller, const Account& account, bool works_on);

// The record as it will be stored: validated (INVALID_ARGUMENT naming "record.<field>"),
// occurred_at cut to microseconds, author = caller, created now. occurred_at must be set
// by the caller (the edge reports it missing) and not be later than now plus the allowed
// clock skew. visit_plan_id only with kind VISIT.
absl::StatusOr<ContactRecord> NewContactRecord(ContactRecord draft, const Principal& caller,
                                               absl::Time now);

// INVALID_ARGUMENT on record.contact_ids naming the first requested id not among `found`
// (the ids of the request that are contacts of the account).
absl::Status CheckContactsMet(const std::vector<int64_t>& requested,
                              const std::vector<int64_t>& found);

// The plan completed by `record` (already stored, with its id). FAILED_PRECONDITION
// (naming record.visit_plan_id) when the plan belongs to another account or is not
// planned any more.
absl::StatusOr<VisitPlan> CompletePlan(VisitPlan plan, const ContactRecord& record, absl::Time now);

// Whether the account is to be taken off the visit plan, given its recent contact records
// newest first by (occurred_at, id): true when it is not suspended yet and its latest
// kVisitsWithoutResult visits at or after visit_streak_since all had no result. Other
// kinds of contact are ignored; fewer visits than that never suspend.
bool ShouldSuspend(const Account& account, const std::vector<ContactRecord>& newest_first);

// The account flagged off the visit plan (new version).
Account SuspendVisitPlan(Account account, absl::Time now);

// The account put back on the visit plan by a director or admin (PERMISSION_DENIED for
// others): flag cleared, visit_streak_since = now so that earlier visits no longer count.
// FAILED_PRECONDITION when it is archived or not off the visit plan; INVALID_ARGUMENT on
// "reason" unless 1-500 characters.
absl::StatusOr<Account> PutBackOnVisitPlan(Account account, const Principal& caller,
                                           std::string_view reason, absl::Time now);

// The plan as it will be stored: planned_at cut to 00:00 UTC of its day, which must be
// today (UTC) or later; objective 1-500 characters; owner_id syntax (the store checks
// membership with ChoosePlanOwner). INVALID_ARGUMENT naming "plan.<field>".
absl::StatusOr<VisitPlan> NewVisitPlan(VisitPlan draft, absl::Time now);

// PERMISSION_DENIED / FAILED_PRECONDITION as CheckCanWork, and FAILED_PRECONDITION while
// the account is off the visit plan.
absl::Status CheckCanPlan(const Principal& caller, const Account& account, bool works_on);

// Who visits: the account's owner when `requested` is empty; `requested` when it is the
// owner or `on_team` (a member of the account's team); INVALID_ARGUMENT on plan.owner_id
// otherwise.
absl::StatusOr<std::string> ChoosePlanOwner(const std::string& requested, const Account& account,
                                            bool on_team);

// The plan cancelled with `reason` (1-500 characters, INVALID_ARGUMENT on "reason").
// FAILED_PRECONDITION unless it is planned.
absl::StatusOr<VisitPlan> CancelPlan(VisitPlan plan, std::string_view reason, absl::Time now);

// The filter a caller may run: validated; account managers see the plans of accounts they
// work on (asking for another owner narrows to what they may see, it is not an error);
// roles that see every account see every plan; others are PERMISSION_DENIED.
absl::StatusOr<VisitPlanFilter> ScopeVisitPlans(VisitPlanFilter requested, const Principal& caller,
                                                absl::Time now);

}  // namespace kam::accounts
