#pragma once

// SLA clocks of complaints in business time: pure rules, no SQL, no gRPC, time passed in.
//
// Policy document (JSON; the built-in one is sla_policy.json beside this file; parsed in
// sla_parse.cc):
//
//   {
//     "comment": "free text, ignored (a string or an array of strings)",
//     "calendar": {
//       "comment": "...",                                  optional, ignored
//       "time_zone": "Asia/Shanghai",                      IANA name; hours are local to it
//       "working_days": ["mon", "tue", "wed", "thu", "fri"],
//       "working_hours": [["09:00", "12:00"], ["13:00", "18:00"]],
//       "holidays": ["2026-10-01", ...],                   optional: days off (放假)
//       "extra_working_days": ["2026-09-20", ...]          optional: 调休 days worked
//     },
//     "warn_fraction": 0.8,                                optional, default 0.8, in (0, 1)
//     "escalation_delay": "4h",                            level 1 (breach) -> level 2
//     "targets": [
//       {"tier": "A", "severity": "critical", "judge": "1h", "resolve": "8h"}, ...
//     ]
//   }
//
// - working_hours: "HH:MM" local times, [begin, end), end may be "24:00"; any order, but
//   no two periods may overlap. The same hours apply to every working day.
// - holidays win over working_days (a holiday on a weekend is allowed: official holiday
//   ranges include weekends); an extra working day must be a day that is otherwise off and
//   not also a holiday. Dates are "YYYY-MM-DD", each listed once.
// - Durations are absl::ParseDuration strings ("30m", "8h", "1h30m"), positive and finite,
//   all in business time.
// - targets: exactly one entry per (tier, severity): tiers "A", "B", "C", "D", "untiered"
//   (no tier yet); severities "low", "medium", "high", "critical"; judge <= resolve.
// - Unknown keys anywhere are errors, so a typo fails the start instead of being ignored.

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace kam::complaints {

// Severity of a complaint; the numbers match kam.complaints.v1.Severity.
enum class Severity { kLow = 1, kMedium = 2, kHigh = 3, kCritical = 4 };

// Account tiers as the accounts service numbers them: 0 = no tier yet, 1..4 = A..D.
inline constexpr int kUntiered = 0;
inline constexpr int kMaxTier = 4;

// "A".."D", or "untiered" for 0 and anything out of range: the metric label and policy name.
std::string_view TierName(int tier);
// "low", "medium", "high", "critical" (the policy's names); "unknown" out of range.
std::string_view SeverityName(Severity severity);

// Working time on a calendar: working weekdays, working periods of each working day
// (e.g. 09:00-12:00 and 13:00-18:00 around a lunch break), holidays, and extra working days
// (调休: weekend days declared working days), all in one IANA time zone. Local times are
// converted through the zone, so DST days are measured in real elapsed time. Built only by
// ParseSlaPolicy, which guarantees at least one working period in a regular week.
class BusinessCalendar {
 public:
  // The earliest instant at which `business` working time has elapsed since `start`. A
  // start outside working hours counts from the next working moment; a deadline that would
  // fall exactly at the end of a period stays there (Friday 17:30 + 30m = Friday 18:00, not
  // Monday 09:00). Add(start, d) == start for d <= 0. InfiniteFuture() when the budget is
  // infinite or not used up within 100 years, and for an infinite `start`.
  absl::Time Add(absl::Time start, absl::Duration business) const;

  // Working time within [from, to); zero when to <= from. Between(s, Add(s, d)) == d.
  // InfiniteDuration() when either end is infinite (and to > from).
  absl::Duration Between(absl::Time from, absl::Time to) const;

  // Whether `day` (a local date) has working hours: not a holiday, and a working weekday or
  // an extra working day.
  bool IsWorkingDay(absl::CivilDay day) const;
  // Whether `t` lies inside a working period ([begin, end)).
  bool IsWorkingTime(absl::Time t) const;

  const absl::TimeZone& time_zone() const { return zone_; }

 private:
  friend class SlaPolicy;
  friend class SlaPolicyParser;
  // Minutes after local midnight, [begin, end); sorted and disjoint.
  struct Period {
    int begin_minute;
    int end_minute;
  };
  BusinessCalendar() = default;
  absl::Time At(absl::CivilDay day, int minute) const;

  absl::TimeZone zone_;
  std::array<bool, 7> working_weekdays_{};  // indexed by absl::Weekday (monday = 0)
  std::vector<Period> periods_;
  std::vector<absl::CivilDay> holidays_;            // sorted
  std::vector<absl::CivilDay> extra_working_days_;  // sorted
};

// One deadline of a complaint's clock: when the warning fires and when it is breached.
struct Deadline {
  absl::Time warn_at;
  absl::Time due_at;
};

// Business-time budgets of one (tier, severity): to the validity judgment, to resolution.
struct SlaTarget {
  absl::Duration judge;
  absl::Duration resolve;
};

class SlaPolicy {
 public:
  const BusinessCalendar& calendar() const { return calendar_; }
  // Fraction of a budget after which the at-risk warning fires (0.8 by default).
  double warn_fraction() const { return warn_fraction_; }
  // Business time from the level-1 escalation (at breach) to level 2.
  absl::Duration escalation_delay() const { return escalation_delay_; }

  // The target for (tier, severity); every pair has one. A tier outside 1..4 is treated as
  // untiered (0); a severity outside the enumerators as kLow (callers validate input).
  const SlaTarget& Target(int tier, Severity severity) const;

  // The deadline of a budget started at `start`: due after `budget` of business time, warn
  // after budget * warn_fraction (rounded to the second, never after due).
  Deadline Schedule(absl::Time start, absl::Duration budget) const;

  // The clock was paused (waiting on the customer) at `paused_at` and resumes at
  // `resumed_at`: each point still ahead at the pause is moved so that the business time
  // that was left at the pause is granted again from `resumed_at`. A point at or before
  // `paused_at` (already fired) stays where it was; so does everything when
  // resumed_at <= paused_at.
  Deadline Resume(const Deadline& d, absl::Time paused_at, absl::Time resumed_at) const;

  // A running clock with `budget` and deadline `d` changes to `new_budget` at `at` (the
  // account's tier changed): the business time already used stays used and the rest of
  // the new budget runs from `at` (due at once when the new budget is already used up).
  // For a paused clock pass the pause time as `at`: Resume later grants what is left.
  Deadline Rebudget(const Deadline& d, absl::Duration budget, absl::Duration new_budget,
                    absl::Time at) const;

  // The level-2 escalation moment for a breach at `breached_at`: escalation_delay of
  // business time later.
  absl::Time SecondEscalationAt(absl::Time breached_at) const;

 private:
  friend class SlaPolicyParser;
  SlaPolicy() = default;

  BusinessCalendar calendar_;
  double warn_fraction_ = 0.8;
  absl::Duration escalation_delay_;
  std::array<std::array<SlaTarget, 4>, kMaxTier + 1> targets_{};  // [tier][severity - 1]
};

// The built-in policy (sla_policy.json), compiled into the binary.
std::string_view DefaultSlaPolicyJson();

// Parses and validates a policy document (format above). INVALID_ARGUMENT whose message
// starts with the offending JSON path, e.g. "targets[3].resolve: must be positive": bad
// JSON, unknown time zone, overlapping or inverted working hours, a week with no working
// time, malformed or repeated dates, a (tier, severity) pair missing or given twice,
// judge > resolve, unknown keys.
absl::StatusOr<SlaPolicy> ParseSlaPolicy(std::string_view json);

// Parses the file at `path`, or DefaultSlaPolicyJson() when `path` is empty. Errors as
// ParseSlaPolicy prefixed with "sla policy file <path>: "; INVALID_ARGUMENT also when the
// file cannot be read.
absl::StatusOr<SlaPolicy> LoadSlaPolicy(const std::string& path);

}  // namespace kam::complaints
