// PROVISIONAL stand-in (see sla.h).
#include "services/complaints/sla.h"

namespace kam::complaints {

const SlaTarget& SlaPolicy::Target(int, Severity) const { return target_; }

Deadline SlaPolicy::Schedule(absl::Time start, absl::Duration budget) const {
  return {start + budget * warn_fraction(), start + budget};
}

Deadline SlaPolicy::Resume(const Deadline& d, absl::Time paused_at, absl::Time resumed_at) const {
  Deadline out = d;
  if (d.warn_at > paused_at) out.warn_at = d.warn_at + (resumed_at - paused_at);
  if (d.due_at > paused_at) out.due_at = d.due_at + (resumed_at - paused_at);
  return out;
}

absl::Time SlaPolicy::SecondEscalationAt(absl::Time breached_at) const {
  return breached_at + escalation_delay();
}

absl::StatusOr<SlaPolicy> ParseSlaPolicy(std::string_view) { return SlaPolicy(); }
absl::StatusOr<SlaPolicy> LoadSlaPolicy(const std::string&) { return SlaPolicy(); }

}  // namespace kam::complaints
