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

bool Unresolved(const Complaint& complaint) { return !complaint.resolution_clock.met_at; }

SlaAlert Alert(const char* kind, const char* level, absl::Time due_at) {
  SlaAlert alert;
  alert.kind = kind;
  alert.level = level;
  alert.due_at = due_at;
  return alert;
}

// Level 1 carries the kind of the breach that caused it; level 2 is about the resolution.
SlaAlert Escalation(const char* kind, int level, std::string to, absl::Time due_at) {
  SlaAlert alert = Alert(kind, "escalation", due_at);
  alert.escalation_level = level;
  alert.escalated_to = std::move(to);
  return alert;
}

// Fires one clock's warning or breach if due. A breach that fires skips (marks) the warning
// that was not fired yet: the warning would be stale news. Only a breach of a clock still
// running escalates (level 1, once per complaint); a step done late records its breach only.
void FireClock(const char* kind, absl::Time now, const SlaPolicy& policy,
               const std::string& department_manager, SlaClock& clock, Complaint& complaint,
               std::vector<SlaAlert>& alerts) {
  if (BreachPending(clock) && now >= clock.deadline.due_at) {
    const bool running = !clock.met_at.has_value();
    clock.breached = true;
    clock.warned = true;
    alerts.push_back(Alert(kind, "breach", clock.deadline.due_at));
    if (running && complaint.escalation_level == 0 && Unresolved(complaint)) {
      complaint.escalation_level = 1;
      complaint.second_escalation_at = policy.SecondEscalationAt(clock.deadline.due_at);
      alerts.push_back(Escalation(kind, 1,
                                  department_manager.empty() ? kDirector : department_manager,
                                  clock.deadline.due_at));
    }
    return;
  }
  if (WarningPending(clock) && now >= clock.deadline.warn_at) {
    clock.warned = true;
    alerts.push_back(Alert(kind, "warning", clock.deadline.due_at));
  }
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

bool SecondEscalationPending(const Complaint& complaint) {
  return complaint.escalation_level == 1 && complaint.second_escalation_at.has_value() &&
         Unresolved(complaint);
}

void Consider(std::optional<absl::Time>& earliest, absl::Time t) {
  if (!earliest || t < *earliest) earliest = t;
}

void ConsiderClock(const SlaClock& clock, std::optional<absl::Time>& earliest) {
  if (WarningPending(clock)) Consider(earliest, clock.deadline.warn_at);
  if (BreachPending(clock)) Consider(earliest, clock.deadline.due_at);
}

}  // namespace

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
  if (SecondEscalationPending(complaint)) Consider(earliest, *complaint.second_escalation_at);
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
  FireClock("judgment", now, policy, department_manager, complaint.judgment, complaint, alerts);
  FireClock("resolution", now, policy, department_manager, complaint.resolution_clock, complaint,
            alerts);
  // After the breaches, so that a sweeper that was down past both escalations fires both.
  if (SecondEscalationPending(complaint) && now >= *complaint.second_escalation_at) {
    complaint.escalation_level = 2;
    alerts.push_back(Escalation("resolution", 2, kDirector, *complaint.second_escalation_at));
  }
  if (!alerts.empty()) {
    ++complaint.version;
    complaint.update_time = now;
  }
  return alerts;
}

}  // namespace kam::complaints
