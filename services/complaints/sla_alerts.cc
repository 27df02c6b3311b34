// The SLA alerts of procedure.h: a clock's status, when the sweeper next has work, and what
// it fires. Pure: the flags on the complaint are the only memory of what already fired.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "services/complaints/procedure.h"

namespace kam::complaints {
namespace {

// Who gets a level-1 escalation when the department has no manager (or the complaint has no
// department yet, while it waits for its validity judgment): the director, so that a breach
// always reaches someone. Level 2 still follows after the escalation delay.
constexpr char kDirector[] = "director";

bool MetLate(const SlaClock& clock) {
  return clock.met_at.has_value() && *clock.met_at > clock.deadline.due_at;
}
// A breach is owed while unmet, and also when the step came after the deadline but before
// the sweeper saw the breach (it must still be recorded and counted).
bool BreachPending(const SlaClock& clock) {
  return !clock.breached && (!clock.met_at.has_value() || MetLate(clock));
}
bool WarningPending(const SlaClock& clock) { return !clock.warned && !clock.met_at.has_value(); }

bool Running(const SlaClock& clock) { return !clock.met_at.has_value(); }

SlaAlert Alert(const char* kind, const char* level, absl::Time due_at) {
  SlaAlert alert;
  alert.kind = kind;
  alert.level = level;
  alert.due_at = due_at;
  return alert;
}

// Each level carries the kind of the clock whose ladder it climbs.
SlaAlert Escalation(const char* kind, int level, std::string to, absl::Time due_at) {
  SlaAlert alert = Alert(kind, "escalation", due_at);
  alert.escalation_level = level;
  alert.escalated_to = std::move(to);
  return alert;
}

// A clock that is breached and still running has escalated at least to level 1. Usually
// level 1 comes with the breach; a clock that runs again past its deadline (a reopened
// resolution) or a row carried over from the per-complaint ladder (migration 0003) gets it
// at the next sweep.
bool FirstEscalationPending(const SlaClock& clock) {
  return Running(clock) && clock.breached && clock.escalation_level == 0;
}
bool SecondEscalationPending(const SlaClock& clock) {
  return Running(clock) && clock.escalation_level == 1 && clock.second_escalation_at.has_value();
}

// Climbs the clock's ladder as far as `now` allows. Level 2 counts from the deadline when
// level 1 comes with the breach (a sweeper that was down past both fires both), else from
// now (a clock that runs late again gets the whole delay before the director hears of it).
void Escalate(const char* kind, absl::Time now, const SlaPolicy& policy,
              const std::string& department_manager, bool breached_now, SlaClock& clock,
              std::vector<SlaAlert>& alerts) {
  if (FirstEscalationPending(clock)) {
    clock.escalation_level = 1;
    clock.second_escalation_at =
        policy.SecondEscalationAt(breached_now ? clock.deadline.due_at : now);
    alerts.push_back(Escalation(kind, 1,
                                department_manager.empty() ? kDirector : department_manager,
                                clock.deadline.due_at));
  }
  if (SecondEscalationPending(clock) && now >= *clock.second_escalation_at) {
    clock.escalation_level = 2;
    alerts.push_back(Escalation(kind, 2, kDirector, *clock.second_escalation_at));
  }
}

// Fires one clock's warning or breach if due, then climbs its escalation ladder. A breach
// that fires skips (marks) the warning that was not fired yet: the warning would be stale
// news. Only a clock still running escalates; a step done late records its breach only.
void FireClock(const char* kind, absl::Time now, const SlaPolicy& policy,
               const std::string& department_manager, SlaClock& clock,
               std::vector<SlaAlert>& alerts) {
  const bool breached_now = BreachPending(clock) && now >= clock.deadline.due_at;
  if (breached_now) {
    clock.breached = true;
    clock.warned = true;
    alerts.push_back(Alert(kind, "breach", clock.deadline.due_at));
  } else if (WarningPending(clock) && now >= clock.deadline.warn_at) {
    clock.warned = true;
    alerts.push_back(Alert(kind, "warning", clock.deadline.due_at));
  }
  Escalate(kind, now, policy, department_manager, breached_now, clock, alerts);
}

// A final complaint or a paused one fires nothing new, but a step done after its deadline
// still owes the record of its breach (so that the counter and ListComplaints agree).
bool OnlyLateBreaches(const Complaint& complaint) {
  return IsFinal(complaint.state) || complaint.waiting_on_customer;
}
bool LateBreachPending(const SlaClock& clock) { return !clock.breached && MetLate(clock); }

void FireLateBreach(const char* kind, absl::Time now, SlaClock& clock,
                    std::vector<SlaAlert>& alerts) {
  if (!LateBreachPending(clock) || now < clock.deadline.due_at) return;
  clock.breached = true;
  clock.warned = true;
  alerts.push_back(Alert(kind, "breach", clock.deadline.due_at));
}

void Consider(std::optional<absl::Time>& earliest, absl::Time t) {
  if (!earliest || t < *earliest) earliest = t;
}

void ConsiderClock(const SlaClock& clock, std::optional<absl::Time>& earliest) {
  if (WarningPending(clock)) Consider(earliest, clock.deadline.warn_at);
  if (BreachPending(clock)) Consider(earliest, clock.deadline.due_at);
  // Owed since the deadline: the sweeper is due at once.
  if (FirstEscalationPending(clock)) Consider(earliest, clock.deadline.due_at);
  if (SecondEscalationPending(clock)) Consider(earliest, *clock.second_escalation_at);
}

}  // namespace

int EscalationLevel(const Complaint& complaint) {
  return std::max(complaint.judgment.escalation_level, complaint.resolution_clock.escalation_level);
}

SlaStatus StatusOf(const SlaClock& clock, absl::Time now) {
  if (clock.met_at) return MetLate(clock) ? SlaStatus::kMetLate : SlaStatus::kMet;
  if (now >= clock.deadline.due_at) return SlaStatus::kBreached;
  if (now >= clock.deadline.warn_at) return SlaStatus::kAtRisk;
  return SlaStatus::kOnTrack;
}

std::optional<absl::Time> NextSlaCheck(const Complaint& complaint) {
  // A paused clock's deadlines move when it resumes (SlaPolicy::Resume), which recomputes this.
  std::optional<absl::Time> earliest;
  if (OnlyLateBreaches(complaint)) {
    for (const SlaClock* clock : {&complaint.judgment, &complaint.resolution_clock}) {
      if (LateBreachPending(*clock)) Consider(earliest, clock->deadline.due_at);
    }
    return earliest;
  }
  ConsiderClock(complaint.judgment, earliest);
  ConsiderClock(complaint.resolution_clock, earliest);
  // An infinite deadline (a budget never used up) is nothing to wait for.
  if (earliest && *earliest == absl::InfiniteFuture()) return std::nullopt;
  return earliest;
}

std::vector<SlaAlert> FireDueAlerts(absl::Time now, const SlaPolicy& policy,
                                    const std::string& department_manager, Complaint& complaint) {
  std::vector<SlaAlert> alerts;
  if (OnlyLateBreaches(complaint)) {
    FireLateBreach("judgment", now, complaint.judgment, alerts);
    FireLateBreach("resolution", now, complaint.resolution_clock, alerts);
    if (!alerts.empty()) {
      ++complaint.version;
      complaint.update_time = now;
    }
    return alerts;
  }
  FireClock("judgment", now, policy, department_manager, complaint.judgment, alerts);
  FireClock("resolution", now, policy, department_manager, complaint.resolution_clock, alerts);
  if (!alerts.empty()) {
    ++complaint.version;
    complaint.update_time = now;
  }
  return alerts;
}

}  // namespace kam::complaints
