// The handling procedure of complaints.proto as pure rules: who may take each step, from
// which state, and what the step changes (fields, SLA clocks, version).
#include "services/complaints/procedure.h"

#include <algorithm>
#include <initializer_list>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kam::complaints {
namespace {

// The states before the resolution is implemented: the SLA clocks can still be paused, a
// complaint can still be moved to another handler.
constexpr State kBeforeImplementation[] = {State::kRecorded, State::kAssigned,
                                           State::kCauseAnalyzed, State::kResolutionProposed,
                                           State::kResolutionApproved};
constexpr State kAssignedOpen[] = {State::kAssigned, State::kCauseAnalyzed,
                                   State::kResolutionProposed, State::kResolutionApproved};

// Where each step comes from, and the RPC that takes it (for messages the caller can act on).
struct StepRule {
  const char* method;
  std::vector<State> from;
};

StepRule RuleOf(Action action) {
  switch (action) {
    case Action::kJudgeValid:
    case Action::kJudgeInvalid:
      return {"JudgeValidity", {State::kRecorded}};
    case Action::kReassign:
      return {"ReassignComplaint", {std::begin(kAssignedOpen), std::end(kAssignedOpen)}};
    case Action::kAnalyzeCause:
      return {"AnalyzeCause", {State::kAssigned}};
    case Action::kProposeResolution:
      return {"ProposeResolution", {State::kCauseAnalyzed}};
    case Action::kApproveResolution:
    case Action::kRejectResolution:
      return {"DecideResolution", {State::kResolutionProposed}};
    case Action::kImplementResolution:
      return {"ImplementResolution", {State::kResolutionApproved}};
    case Action::kFollowUp:
    case Action::kReopen:
      return {"RecordFollowUp", {State::kResolutionImplemented}};
    case Action::kClose:
      return {"CloseComplaint", {State::kFollowedUp}};
    case Action::kPauseClock:
    case Action::kResumeClock:
      return {"SetWaitingOnCustomer",
              {std::begin(kBeforeImplementation), std::end(kBeforeImplementation)}};
  }
  return {"", {}};
}

bool IsDepartmentHandler(const Principal& caller, const Complaint& complaint) {
  return caller.HasRole("handler") && !complaint.department.empty() &&
         caller.department == complaint.department;
}

// The role half of CheckStep (complaints.proto: each step belongs to one role).
bool RoleMayTake(Action action, const Complaint& complaint, const Principal& caller) {
  switch (action) {
    case Action::kJudgeValid:
    case Action::kJudgeInvalid:
    case Action::kFollowUp:
    case Action::kReopen:
      return caller.HasRole("service_agent");
    case Action::kReassign:
      return caller.HasAnyRole({"director", "admin"});
    case Action::kAnalyzeCause:
    case Action::kProposeResolution:
    case Action::kImplementResolution:
      return IsDepartmentHandler(caller, complaint);
    case Action::kApproveResolution:
    case Action::kRejectResolution:
    case Action::kClose:
      return caller.HasRole("director");
    case Action::kPauseClock:
    case Action::kResumeClock:
      return caller.HasRole("service_agent") || IsDepartmentHandler(caller, complaint);
  }
  return false;
}

std::string StateList(const std::vector<State>& states) {
  std::vector<std::string> names;
  for (State s : states) names.emplace_back(StateName(s));
  if (names.size() == 1) return names.front();
  const std::string last = names.back();
  names.pop_back();
  return absl::StrCat(absl::StrJoin(names, ", "), " or ", last);
}

bool Running(const SlaClock& clock) { return !clock.met_at.has_value(); }

void Meet(SlaClock& clock, absl::Time now) {
  if (Running(clock)) clock.met_at = now;
}

// The clocks stood still from paused_at to now: the business time left at the pause is
// granted again from now (and to a clock's pending level-2 escalation). A warning point
// that moves back into the future is armed again.
void ResumeClocks(const SlaPolicy& policy, absl::Time now, Complaint& c) {
  if (c.waiting_on_customer && c.paused_at) {
    const BusinessCalendar& calendar = policy.calendar();
    for (SlaClock* clock : {&c.judgment, &c.resolution_clock}) {
      if (!Running(*clock)) continue;
      clock->deadline = policy.Resume(clock->deadline, *c.paused_at, now);
      if (clock->deadline.warn_at > now && !clock->breached) clock->warned = false;
      std::optional<absl::Time>& second = clock->second_escalation_at;
      if (second && *second > *c.paused_at) {
        second = calendar.Add(now, calendar.Between(*c.paused_at, *second));
      }
    }
  }
  c.waiting_on_customer = false;
  c.paused_at.reset();
}

void Pause(absl::Time now, Complaint& c) {
  c.waiting_on_customer = true;
  c.paused_at = now;
}

// An unsatisfied follow-up sends the complaint back to cause analysis. The resolution
// clock runs again against its original deadline: the customer was promised a resolution
// by then, so a reopened complaint is late unless time remains. Its warning is armed again
// unless the clock already breached (the breach fired once; its escalation ladder goes on
// from the level it reached, see FireDueAlerts).
void Reopen(Complaint& c) {
  c.state = State::kAssigned;
  c.resolution_clock.met_at.reset();
  if (!c.resolution_clock.breached) c.resolution_clock.warned = false;
  ++c.reopen_count;
}

// A reopened clock runs late again. If its ladder stood at level 1 and the director's turn
// fell due while the clock was met, the director hears of it the whole escalation delay
// after the reopening, not at the next sweep (as a late first escalation, sla_alerts.cc).
void RestartSecondEscalation(const SlaPolicy& policy, absl::Time now, SlaClock& clock) {
  std::optional<absl::Time>& second = clock.second_escalation_at;
  if (clock.escalation_level == 1 && second && *second <= now) {
    second = policy.SecondEscalationAt(now);
  }
}

FollowUp RecordedFollowUp(const StepInput& input, const std::string& actor, absl::Time now) {
  FollowUp f = input.follow_up;
  f.recorded_by = actor;
  f.time = now;
  return f;
}

// The fields and state a step changes (clocks that stop with the step included).
void ApplyFields(const StepInput& input, const std::string& actor, absl::Time now, Complaint& c) {
  switch (input.action) {
    case Action::kJudgeValid:
      c.state = State::kAssigned;
      c.department = input.department;
      c.handler_id = input.handler_id;
      Meet(c.judgment, now);
      return;
    case Action::kJudgeInvalid:
      c.state = State::kInvalid;
      c.invalid_reason = input.text;
      Meet(c.judgment, now);
      Meet(c.resolution_clock, now);
      return;
    case Action::kReassign:
      c.department = input.department;
      c.handler_id = input.handler_id;
      return;
    case Action::kAnalyzeCause:
      c.state = State::kCauseAnalyzed;
      c.cause = input.text;
      return;
    case Action::kProposeResolution:
      c.state = State::kResolutionProposed;
      c.resolution = input.text;
      return;
    case Action::kApproveResolution:
      c.state = State::kResolutionApproved;
      c.rejection_reason.clear();
      return;
    case Action::kRejectResolution:
      c.state = State::kCauseAnalyzed;
      c.rejection_reason = input.text;
      return;
    case Action::kImplementResolution:
      c.state = State::kResolutionImplemented;
      c.implementation_note = input.text;
      Meet(c.resolution_clock, now);
      return;
    case Action::kFollowUp:
      c.state = State::kFollowedUp;
      c.follow_up = RecordedFollowUp(input, actor, now);
      return;
    case Action::kReopen:
      c.follow_up = RecordedFollowUp(input, actor, now);
      Reopen(c);
      return;
    case Action::kClose:
      c.state = State::kClosed;
      c.summary = input.text;
      c.evaluation = input.evaluation;
      c.close_time = now;
      return;
    case Action::kPauseClock:
    case Action::kResumeClock:
      return;  // the clocks, handled by ApplyStep
  }
}

std::string NoteOf(const StepInput& input) {
  if (input.action == Action::kFollowUp || input.action == Action::kReopen) {
    return input.follow_up.note;
  }
  return input.text;
}

}  // namespace

std::string Etag(const Complaint& complaint) { return absl::StrCat("v", complaint.version); }
std::string Etag(const Department& department) { return absl::StrCat("v", department.version); }

bool IsFinal(State state) { return state == State::kInvalid || state == State::kClosed; }

std::string_view StateName(State state) {
  switch (state) {
    case State::kUnspecified:
      return "UNSPECIFIED";
    case State::kRecorded:
      return "RECORDED";
    case State::kInvalid:
      return "INVALID";
    case State::kAssigned:
      return "ASSIGNED";
    case State::kCauseAnalyzed:
      return "CAUSE_ANALYZED";
    case State::kResolutionProposed:
      return "RESOLUTION_PROPOSED";
    case State::kResolutionApproved:
      return "RESOLUTION_APPROVED";
    case State::kResolutionImplemented:
      return "RESOLUTION_IMPLEMENTED";
    case State::kFollowedUp:
      return "FOLLOWED_UP";
    case State::kClosed:
      return "CLOSED";
  }
  return "UNSPECIFIED";
}

std::string_view CategoryName(Category category) {
  switch (category) {
    case Category::kUnspecified:
      return "unspecified";
    case Category::kProductQuality:
      return "product_quality";
    case Category::kContract:
      return "contract";
    case Category::kTransport:
      return "transport";
    case Category::kService:
      return "service";
    case Category::kOther:
      return "other";
  }
  return "unspecified";
}

std::string_view HandlingGuidance(Manner manner) {
  switch (manner) {
    case Manner::kAssertive:
      return "The customer holds firmly to their view: listen to the whole case without "
             "arguing, restate it to show it was understood, and answer with facts and the "
             "contract terms; concede what is justified, and hold the company's legitimate "
             "position politely on the rest.";
    case Manner::kHesitant:
      return "The customer is unsure: ask open questions to bring out the real problem and "
             "what they expect, explain the options plainly, recommend one, and confirm the "
             "agreed next step in writing.";
    case Manner::kFriendly:
      return "The customer is cooperative: thank them for raising it, agree on the facts and "
             "a timeline, and keep the promise exactly; do not let the friendly tone lower "
             "the priority of the fix.";
    case Manner::kAngry:
      return "The customer is angry: let them vent without interrupting and never argue; "
             "acknowledge the trouble, apologise for the inconvenience, and promise a concrete "
             "next step with a time, then call back before that time.";
    case Manner::kUnspecified:
      break;
  }
  return "Listen fully and never argue; protect the company's legitimate interests, solve the "
         "real problem and keep the customer informed of each step.";
}

bool CanSee(const Principal& caller, const Complaint& complaint) {
  if (caller.HasAnyRole({"service_agent", "director", "admin", "analyst", "system"})) {
    return true;
  }
  if (IsDepartmentHandler(caller, complaint)) return true;
  return caller.HasRole("account_manager") && !caller.subject.empty() &&
         (complaint.account_owner_id == caller.subject || complaint.recorded_by == caller.subject);
}

std::string TakeNextHandler(Department& department) {
  const int count = static_cast<int>(department.handler_ids.size());
  if (count == 0) {
    department.next_handler = 0;
    return "";
  }
  // A list shortened since the last turn leaves next_handler past the end: wrap it.
  int turn = department.next_handler % count;
  if (turn < 0) turn += count;
  department.next_handler = (turn + 1) % count;
  return department.handler_ids[turn];
}

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kJudgeValid:
      return "judged_valid";
    case Action::kJudgeInvalid:
      return "judged_invalid";
    case Action::kReassign:
      return "reassigned";
    case Action::kAnalyzeCause:
      return "cause_analyzed";
    case Action::kProposeResolution:
      return "resolution_proposed";
    case Action::kApproveResolution:
      return "resolution_approved";
    case Action::kRejectResolution:
      return "resolution_rejected";
    case Action::kImplementResolution:
      return "resolution_implemented";
    case Action::kFollowUp:
      return "followed_up";
    case Action::kReopen:
      return "reopened";
    case Action::kClose:
      return "closed";
    case Action::kPauseClock:
      return "clock_paused";
    case Action::kResumeClock:
      return "clock_resumed";
  }
  return "";
}

absl::Status CheckStep(Action action, const Complaint& complaint, const Principal& caller) {
  if (!RoleMayTake(action, complaint, caller)) {
    return absl::PermissionDeniedError(
        absl::StrCat("your role may not take the step ", std::string(ActionName(action))));
  }
  const StepRule rule = RuleOf(action);
  if (std::find(rule.from.begin(), rule.from.end(), complaint.state) == rule.from.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("complaint is ", std::string(StateName(complaint.state)),
                     IsFinal(complaint.state) ? " (final)" : "", "; ", rule.method, " needs ",
                     StateList(rule.from)));
  }
  if (action == Action::kPauseClock && complaint.waiting_on_customer) {
    return absl::FailedPreconditionError(
        "complaint is already waiting on the customer (its SLA clocks are paused)");
  }
  if (action == Action::kResumeClock && !complaint.waiting_on_customer) {
    return absl::FailedPreconditionError(
        "complaint is not waiting on the customer (its SLA clocks are running)");
  }
  return absl::OkStatus();
}

// Any step of the procedure other than a reassignment means the work moved on, so it ends
// a wait on the customer first: the clocks resume before the step stops any of them.
Transition ApplyStep(const StepInput& input, const std::string& actor, absl::Time now,
                     const SlaPolicy& policy, Complaint& complaint) {
  Transition t;
  t.complaint_id = complaint.id;
  t.action = std::string(ActionName(input.action));
  t.from = complaint.state;
  t.actor = actor;
  t.time = now;
  t.note = NoteOf(input);

  if (input.action == Action::kPauseClock) {
    Pause(now, complaint);
  } else if (input.action != Action::kReassign) {
    ResumeClocks(policy, now, complaint);
  }
  ApplyFields(input, actor, now, complaint);
  if (input.action == Action::kReopen)
    RestartSecondEscalation(policy, now, complaint.resolution_clock);
  ++complaint.version;
  complaint.update_time = now;
  t.to = complaint.state;
  return t;
}

absl::Time QueueDue(const Complaint& complaint) {
  static const absl::Time kNobodyWaits =
      absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), absl::UTCTimeZone());
  if (IsFinal(complaint.state)) return kNobodyWaits;
  return complaint.state == State::kRecorded ? complaint.judgment.deadline.due_at
                                             : complaint.resolution_clock.deadline.due_at;
}

void StartClocks(const SlaPolicy& policy, absl::Time now, Complaint& complaint) {
  const SlaTarget& target = policy.Target(complaint.account_tier, complaint.severity);
  complaint.state = State::kRecorded;
  complaint.judgment = SlaClock{};
  complaint.judgment.budget = target.judge;
  complaint.judgment.deadline = policy.Schedule(now, target.judge);
  complaint.resolution_clock = SlaClock{};
  complaint.resolution_clock.budget = target.resolve;
  complaint.resolution_clock.deadline = policy.Schedule(now, target.resolve);
  complaint.waiting_on_customer = false;
  complaint.paused_at.reset();
}

std::optional<Transition> RetargetClocks(const SlaPolicy& policy, int tier,
                                         const std::string& actor, absl::Time now,
                                         Complaint& complaint) {
  if (IsFinal(complaint.state) || complaint.account_tier == tier) return std::nullopt;
  const SlaTarget& target = policy.Target(tier, complaint.severity);
  const absl::Time at = complaint.paused_at.value_or(now);
  bool running = false;
  for (auto [clock, budget] : {std::pair{&complaint.judgment, target.judge},
                               std::pair{&complaint.resolution_clock, target.resolve}}) {
    // A met clock keeps its figures; a deadline already passed keeps its breach (a longer
    // budget must not turn a breach back into "on track").
    if (clock->met_at || clock->breached || clock->deadline.due_at <= at) continue;
    clock->deadline = policy.Rebudget(clock->deadline, clock->budget, budget, at);
    clock->budget = budget;
    running = true;
  }
  if (!running) return std::nullopt;
  const int old_tier = complaint.account_tier;
  complaint.account_tier = tier;
  complaint.update_time = now;
  ++complaint.version;
  return Transition{0,
                    complaint.id,
                    "sla_retargeted",
                    complaint.state,
                    complaint.state,
                    actor,
                    now,
                    absl::StrCat("account tier ", std::string(TierName(old_tier)), " -> ",
                                 std::string(TierName(tier)),
                                 ": SLA targets of the new tier, time already used kept")};
}

}  // namespace kam::complaints
