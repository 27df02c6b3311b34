#include "services/complaints/sla.h"

#include <algorithm>

// Business-time arithmetic; the policy document is parsed in sla_parse.cc.
namespace kam::complaints {
namespace {

// Add gives up after this many calendar days: a calendar always has working time in a
// regular week (checked at parse), so only an absurd budget gets this far.
constexpr int kHorizonDays = 100 * 366;

}  // namespace

absl::Time BusinessCalendar::At(absl::CivilDay day, int minute) const {
  return absl::FromCivil(absl::CivilSecond(day) + minute * 60, zone_);
}

bool BusinessCalendar::IsWorkingDay(absl::CivilDay day) const {
  if (std::binary_search(holidays_.begin(), holidays_.end(), day)) return false;
  if (std::binary_search(extra_working_days_.begin(), extra_working_days_.end(), day)) {
    return true;
  }
  return working_weekdays_[static_cast<int>(absl::GetWeekday(day))];
}

// Both walks below rely on absl::FromCivil being monotonic (a local time that DST skips maps
// to the transition, a repeated one to its first occurrence): the instants of sorted,
// disjoint local periods never overlap, on one day or across days.
absl::Time BusinessCalendar::Add(absl::Time start, absl::Duration business) const {
  if (business <= absl::ZeroDuration()) return start;
  if (business == absl::InfiniteDuration() || start == absl::InfiniteFuture() ||
      start == absl::InfinitePast()) {
    return absl::InfiniteFuture();
  }
  absl::Duration remaining = business;
  // From the day before: a period of that day may still be running at `start` in its zone.
  const absl::CivilDay first = absl::ToCivilDay(start, zone_) - 1;
  for (absl::CivilDay day = first; day - first <= kHorizonDays; ++day) {
    if (!IsWorkingDay(day)) continue;
    for (const Period& period : periods_) {
      const absl::Time begin = std::max(At(day, period.begin_minute), start);
      const absl::Time end = At(day, period.end_minute);
      if (end <= begin) continue;
      if (remaining <= end - begin) return begin + remaining;
      remaining -= end - begin;
    }
  }
  return absl::InfiniteFuture();
}

absl::Duration BusinessCalendar::Between(absl::Time from, absl::Time to) const {
  if (to <= from) return absl::ZeroDuration();
  if (from == absl::InfinitePast() || to == absl::InfiniteFuture()) {
    return absl::InfiniteDuration();
  }
  absl::Duration total;
  const absl::CivilDay last = absl::ToCivilDay(to, zone_);
  for (absl::CivilDay day = absl::ToCivilDay(from, zone_) - 1; day <= last; ++day) {
    if (!IsWorkingDay(day)) continue;
    for (const Period& period : periods_) {
      const absl::Time begin = std::max(At(day, period.begin_minute), from);
      const absl::Time end = std::min(At(day, period.end_minute), to);
      if (end > begin) total += end - begin;
    }
  }
  return total;
}

bool BusinessCalendar::IsWorkingTime(absl::Time t) const {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return false;
  const absl::CivilDay today = absl::ToCivilDay(t, zone_);
  for (absl::CivilDay day : {today - 1, today}) {
    if (!IsWorkingDay(day)) continue;
    for (const Period& period : periods_) {
      if (At(day, period.begin_minute) <= t && t < At(day, period.end_minute)) return true;
    }
  }
  return false;
}

const SlaTarget& SlaPolicy::Target(int tier, Severity severity) const {
  if (tier < 0 || tier > kMaxTier) tier = kUntiered;
  int index = static_cast<int>(severity) - 1;
  if (index < 0 || index >= 4) index = 0;
  return targets_[tier][index];
}

Deadline SlaPolicy::Schedule(absl::Time start, absl::Duration budget) const {
  // Whole seconds keep the warning free of floating-point residue (0.8 * 2h is 96m, not
  // 96m plus a nanosecond), which matters to stores and to tests comparing instants.
  const absl::Duration warn_budget = std::min(
      absl::Trunc(budget * warn_fraction_ + absl::Milliseconds(500), absl::Seconds(1)), budget);
  return {calendar_.Add(start, warn_budget), calendar_.Add(start, budget)};
}

Deadline SlaPolicy::Resume(const Deadline& d, absl::Time paused_at, absl::Time resumed_at) const {
  if (resumed_at <= paused_at) return d;
  const auto resume = [&](absl::Time point) {
    if (point <= paused_at) return point;
    return calendar_.Add(resumed_at, calendar_.Between(paused_at, point));
  };
  return {resume(d.warn_at), resume(d.due_at)};
}

Deadline SlaPolicy::Rebudget(const Deadline& d, absl::Duration budget, absl::Duration new_budget,
                             absl::Time at) const {
  const absl::Duration used = d.due_at > at ? budget - calendar_.Between(at, d.due_at)
                                            : budget + calendar_.Between(d.due_at, at);
  const Deadline fresh = Schedule(at, new_budget);
  // Schedule from `at`, less the time already used (never before `at`).
  const auto less_used = [&](absl::Time point) {
    const absl::Duration left = calendar_.Between(at, point) - used;
    return calendar_.Add(at, std::max(left, absl::ZeroDuration()));
  };
  return {less_used(fresh.warn_at), less_used(fresh.due_at)};
}

absl::Time SlaPolicy::SecondEscalationAt(absl::Time breached_at) const {
  return calendar_.Add(breached_at, escalation_delay_);
}

}  // namespace kam::complaints
