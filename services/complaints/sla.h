#pragma once

// PROVISIONAL: the interface of the SLA calendar and policy, with a stand-in implementation
// (plain wall-clock time) so other parts build; branch issue4-sla replaces both files.
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace kam::complaints {

enum class Severity { kLow = 1, kMedium = 2, kHigh = 3, kCritical = 4 };

class BusinessCalendar {
 public:
  absl::Time Add(absl::Time start, absl::Duration business) const { return start + business; }
  absl::Duration Between(absl::Time from, absl::Time to) const {
    return to > from ? to - from : absl::ZeroDuration();
  }
};

struct Deadline {
  absl::Time warn_at;
  absl::Time due_at;
};

struct SlaTarget {
  absl::Duration judge;
  absl::Duration resolve;
};

class SlaPolicy {
 public:
  const BusinessCalendar& calendar() const { return calendar_; }
  double warn_fraction() const { return 0.8; }
  absl::Duration escalation_delay() const { return absl::Hours(4); }
  const SlaTarget& Target(int tier, Severity severity) const;
  Deadline Schedule(absl::Time start, absl::Duration budget) const;
  Deadline Resume(const Deadline& d, absl::Time paused_at, absl::Time resumed_at) const;
  absl::Time SecondEscalationAt(absl::Time breached_at) const;

 private:
  BusinessCalendar calendar_;
  SlaTarget target_{absl::Hours(4), absl::Hours(24)};
};

absl::StatusOr<SlaPolicy> ParseSlaPolicy(std::string_view json);
absl::StatusOr<SlaPolicy> LoadSlaPolicy(const std::string& path);

}  // namespace kam::complaints
