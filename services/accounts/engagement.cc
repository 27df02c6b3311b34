#include "services/accounts/engagement.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "services/common/validation.h"

namespace kam::accounts {
namespace {

constexpr size_t kMaxAttendees = 500;
constexpr size_t kMaxSummary = 2000;
constexpr size_t kMaxNextStep = 500;
constexpr size_t kMaxObjective = 500;
constexpr size_t kMaxReason = 500;

absl::Status CheckContactIds(const std::vector<int64_t>& ids) {
  if (ids.size() > static_cast<size_t>(kMaxContactsMet)) {
    return InvalidField("record.contact_ids", absl::StrCat("more than ", kMaxContactsMet));
  }
  std::set<int64_t> seen;
  for (int64_t id : ids) {
    if (id <= 0) return InvalidField("record.contact_ids", "must be positive ids");
    if (!seen.insert(id).second) {
      return InvalidField("record.contact_ids", absl::StrCat("contact ", id, " is listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRecordFields(const ContactRecord& r, absl::Time now) {
  if (auto s = CheckEnum("record.kind", static_cast<int>(r.kind), 5, true); !s.ok()) return s;
  if (r.occurred_at > now + kAllowedClockSkew) {
    return InvalidField("record.occur_time", "in the future");
  }
  if (auto s = CheckContactIds(r.contact_ids); !s.ok()) return s;
  if (auto s = CheckText("record.attendees", r.attendees, kMaxAttendees, false); !s.ok()) return s;
  if (auto s = CheckText("record.summary", r.summary, kMaxSummary, true); !s.ok()) return s;
  if (auto s = CheckEnum("record.outcome", static_cast<int>(r.outcome), 2, true); !s.ok()) return s;
  if (auto s = CheckText("record.next_step", r.next_step, kMaxNextStep, false); !s.ok()) return s;
  if (r.visit_plan_id < 0) return InvalidField("record.visit_plan_id", "must be a positive id");
  if (r.visit_plan_id > 0 && r.kind != ContactKind::kVisit) {
    return InvalidField("record.visit_plan_id", "only a visit completes a planned visit");
  }
  return absl::OkStatus();
}

const char* StatusName(VisitPlanStatus status) {
  switch (status) {
    case VisitPlanStatus::kPlanned:
      return "planned";
    case VisitPlanStatus::kCompleted:
      return "completed";
    case VisitPlanStatus::kCancelled:
      return "cancelled";
    case VisitPlanStatus::kUnspecified:
      break;
  }
  return "unspecified";
}

}  // namespace

absl::Time StartOfDayUtc(absl::Time t) {
  const absl::CivilDay day = absl::ToCivilDay(t, absl::UTCTimeZone());
  return absl::FromCivil(day, absl::UTCTimeZone());
}

bool IsOverdue(const VisitPlan& plan, absl::Time now) {
  return plan.status == VisitPlanStatus::kPlanned && plan.planned_at < StartOfDayUtc(now);
}

absl::Status CheckCanWork(const Principal& caller, const Account& account, bool works_on) {
  if (!CanWork(caller, works_on)) return absl::PermissionDeniedError("no access to this account");
  if (account.archived) return absl::FailedPreconditionError("account is archived");
  return absl::OkStatus();
}

absl::StatusOr<ContactRecord> NewContactRecord(ContactRecord draft, const Principal& caller,
                                               absl::Time now) {
  // Stored as DATETIME(6): cut here so that the response equals what a later read returns.
  draft.occurred_at = absl::FromUnixMicros(absl::ToUnixMicros(draft.occurred_at));
  if (auto s = CheckRecordFields(draft, now); !s.ok()) return s;
  draft.id = 0;
  draft.author_id = caller.subject;
  draft.create_time = now;
  return draft;
}

absl::Status CheckContactsMet(const std::vector<int64_t>& requested,
                              const std::vector<int64_t>& found) {
  const std::set<int64_t> known(found.begin(), found.end());
  for (int64_t id : requested) {
    if (known.count(id) == 0) {
      return InvalidField("record.contact_ids",
                          absl::StrCat("contact ", id, " is not a contact of this account"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<VisitPlan> CompletePlan(VisitPlan plan, const ContactRecord& record,
                                       absl::Time now) {
  if (plan.account_id != record.account_id) {
    return absl::FailedPreconditionError(absl::StrCat("record.visit_plan_id: visit plan ", plan.id,
                                                      " is not a planned visit of this account"));
  }
  if (plan.status != VisitPlanStatus::kPlanned) {
    return absl::FailedPreconditionError(absl::StrCat("record.visit_plan_id: visit plan ", plan.id,
                                                      " is ", StatusName(plan.status),
                                                      ", not planned"));
  }
  plan.status = VisitPlanStatus::kCompleted;
  plan.contact_record_id = record.id;
  plan.update_time = now;
  return plan;
}

bool ShouldSuspend(const Account& account, const std::vector<ContactRecord>& newest_first) {
  if (account.visit_plan_suspended) return false;
  int without_result = 0;
  for (const ContactRecord& record : newest_first) {
    if (record.kind != ContactKind::kVisit) continue;
    if (account.visit_streak_since && record.occurred_at < *account.visit_streak_since) break;
    if (record.outcome != ContactOutcome::kNoResult) return false;
    if (++without_result == kVisitsWithoutResult) return true;
  }
  return false;
}

Account SuspendVisitPlan(Account account, absl::Time now) {
  account.visit_plan_suspended = true;
  ++account.version;
  account.update_time = now;
  return account;
}

absl::StatusOr<Account> PutBackOnVisitPlan(Account account, const Principal& caller,
                                           std::string_view reason, absl::Time now) {
  if (!caller.HasAnyRole({"admin", "director"})) {
    return absl::PermissionDeniedError("only a director may put an account back on the visit plan");
  }
  if (auto s = CheckText("reason", reason, kMaxReason, true); !s.ok()) return s;
  if (account.archived) return absl::FailedPreconditionError("account is archived");
  if (!account.visit_plan_suspended) {
    return absl::FailedPreconditionError("account is on the visit plan: nothing to restore");
  }
  account.visit_plan_suspended = false;
  account.visit_streak_since = now;
  ++account.version;
  account.update_time = now;
  return account;
}

absl::StatusOr<VisitPlan> NewVisitPlan(VisitPlan draft, absl::Time now) {
  draft.planned_at = StartOfDayUtc(draft.planned_at);
  if (draft.planned_at < StartOfDayUtc(now)) {
    return InvalidField("plan.planned_time", "before today (UTC): plan today or later");
  }
  if (auto s = CheckText("plan.objective", draft.objective, kMaxObjective, true); !s.ok()) {
    return s;
  }
  if (auto s = CheckToken("plan.owner_id", draft.owner_id, kMaxSubjectChars, false); !s.ok()) {
    return s;
  }
  draft.id = 0;
  draft.status = VisitPlanStatus::kPlanned;
  draft.contact_record_id = 0;
  draft.cancel_reason.clear();
  draft.create_time = draft.update_time = now;
  return draft;
}

absl::Status CheckCanPlan(const Principal& caller, const Account& account, bool works_on) {
  if (auto s = CheckCanWork(caller, account, works_on); !s.ok()) return s;
  if (account.visit_plan_suspended) {
    return absl::FailedPreconditionError(
        "account is off the visit plan after five visits without result; a director can "
        "restore it");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ChoosePlanOwner(const std::string& requested, const Account& account,
                                            bool on_team) {
  if (requested.empty() || requested == account.owner_id) return account.owner_id;
  if (on_team) return requested;
  return InvalidField("plan.owner_id", "must be the account's owner or on its team");
}

absl::StatusOr<VisitPlan> CancelPlan(VisitPlan plan, std::string_view reason, absl::Time now) {
  if (auto s = CheckText("reason", reason, kMaxReason, true); !s.ok()) return s;
  if (plan.status != VisitPlanStatus::kPlanned) {
    return absl::FailedPreconditionError(
        absl::StrCat("visit plan ", plan.id, " is ", StatusName(plan.status), ", not planned"));
  }
  plan.status = VisitPlanStatus::kCancelled;
  plan.cancel_reason = std::string(reason);
  plan.update_time = now;
  return plan;
}

absl::StatusOr<VisitPlanFilter> ScopeVisitPlans(VisitPlanFilter requested, const Principal& caller,
                                                absl::Time now) {
  if (auto s = CheckToken("owner_id", requested.owner_id, kMaxSubjectChars, false); !s.ok()) {
    return s;
  }
  if (requested.account_id < 0) return InvalidField("account_id", "must be a positive id");
  if (auto s = CheckEnum("status", static_cast<int>(requested.status), 3, false); !s.ok()) {
    return s;
  }
  requested.today = StartOfDayUtc(now);
  requested.visible_to.clear();
  if (SeesAllAccounts(caller)) return requested;
  if (!caller.HasRole("account_manager")) {
    return absl::PermissionDeniedError("your role may not list visit plans");
  }
  requested.visible_to = caller.subject;
  return requested;
}

}  // namespace kam::accounts
