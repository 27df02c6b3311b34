#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

// Analysis periods ("2026", "2026-Q3", "2026-07") and month keys (INT yyyymm, the column type
// of every rollup) in the company's time zone.
namespace kam::analytics {

enum class PeriodKind { kMonth, kQuarter, kYear };

struct Period {
  PeriodKind kind = PeriodKind::kMonth;
  int first_month = 0;  // yyyymm, inclusive
  int last_month = 0;   // yyyymm, inclusive
  std::string label;    // as written by the caller, normalised ("2026-Q3")

  int year() const { return first_month / 100; }
  // Month keys from first to last.
  std::vector<int> Months() const;
  int MonthCount() const { return static_cast<int>(Months().size()); }
  // The period of the same kind just before this one ("2026-Q2" before "2026-Q3").
  Period Previous() const;
  // [Start, End) in `zone`.
  absl::Time Start(absl::TimeZone zone) const;
  absl::Time End(absl::TimeZone zone) const;
};

// INVALID_ARGUMENT naming `field` unless `text` is "YYYY", "YYYY-Qn" or "YYYY-MM" with a year
// from 2000 to 2100.
absl::StatusOr<Period> ParsePeriod(std::string_view field, std::string_view text);

// The month (yyyymm) `t` falls in, in `zone`.
int MonthKey(absl::Time t, absl::TimeZone zone);
// "YYYY-MM" for a month key; and back (INVALID_ARGUMENT naming `field`).
std::string MonthLabel(int month_key);
absl::StatusOr<int> ParseMonth(std::string_view field, std::string_view text);
// The month key `n` months after `month_key` (negative: before).
int AddMonths(int month_key, int n);
// Whole months from month `from` to month `to` (to - from; negative when to is earlier).
int MonthsBetween(int from, int to);

}  // namespace kam::analytics
