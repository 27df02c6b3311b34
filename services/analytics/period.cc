#include "services/analytics/period.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kam::analytics {
namespace {

constexpr int kMinYear = 2000;
constexpr int kMaxYear = 2100;

// The value as an error shows it: quoted when short, else only its length, so that an error
// never grows with the input (a status message travels in HTTP/2 trailers, whose size the
// client limits: a long echo turns INVALID_ARGUMENT into RESOURCE_EXHAUSTED).
std::string Shown(std::string_view text) {
  constexpr size_t kMaxShown = 16;
  if (text.size() <= kMaxShown) return absl::StrCat("\"", std::string(text), "\"");
  return absl::StrCat("a value of ", text.size(), " bytes");
}

absl::Status BadPeriod(std::string_view field, std::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), ": ", Shown(text),
                   " is not a period; use YYYY, YYYY-Qn or YYYY-MM (years 2000-2100)"));
}

bool ParseNumber(std::string_view digits, int& out) {
  if (digits.empty()) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  return absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()), &out);
}

int Key(int year, int month) { return year * 100 + month; }

}  // namespace

std::vector<int> Period::Months() const {
  std::vector<int> months;
  for (int m = first_month; m <= last_month; m = AddMonths(m, 1)) months.push_back(m);
  return months;
}

Period Period::Previous() const {
  Period previous = *this;
  const int length = MonthsBetween(first_month, last_month) + 1;
  previous.first_month = AddMonths(first_month, -length);
  previous.last_month = AddMonths(last_month, -length);
  const int year = previous.first_month / 100;
  switch (kind) {
    case PeriodKind::kYear:
      previous.label = absl::StrCat(year);
      break;
    case PeriodKind::kQuarter:
      previous.label = absl::StrFormat("%d-Q%d", year, (previous.first_month % 100 + 2) / 3);
      break;
    case PeriodKind::kMonth:
      previous.label = MonthLabel(previous.first_month);
      break;
  }
  return previous;
}

absl::Time Period::Start(absl::TimeZone zone) const {
  return absl::FromCivil(absl::CivilMonth(first_month / 100, first_month % 100), zone);
}

absl::Time Period::End(absl::TimeZone zone) const {
  const int next = AddMonths(last_month, 1);
  return absl::FromCivil(absl::CivilMonth(next / 100, next % 100), zone);
}

absl::StatusOr<Period> ParsePeriod(std::string_view field, std::string_view text) {
  int year = 0;
  if (text.size() < 4 || !ParseNumber(text.substr(0, 4), year) || year < kMinYear ||
      year > kMaxYear) {
    return BadPeriod(field, text);
  }
  Period period;
  if (text.size() == 4) {
    period.kind = PeriodKind::kYear;
    period.first_month = Key(year, 1);
    period.last_month = Key(year, 12);
    period.label = absl::StrCat(year);
    return period;
  }
  int number = 0;
  if (text.size() == 7 && (text[5] == 'Q' || text[5] == 'q') && text[4] == '-' &&
      ParseNumber(text.substr(6), number) && number >= 1 && number <= 4) {
    period.kind = PeriodKind::kQuarter;
    period.first_month = Key(year, 3 * number - 2);
    period.last_month = Key(year, 3 * number);
    period.label = absl::StrFormat("%d-Q%d", year, number);
    return period;
  }
  if (text.size() == 7 && text[4] == '-' && ParseNumber(text.substr(5), number) && number >= 1 &&
      number <= 12) {
    period.kind = PeriodKind::kMonth;
    period.first_month = period.last_month = Key(year, number);
    period.label = MonthLabel(period.first_month);
    return period;
  }
  return BadPeriod(field, text);
}

int MonthKey(absl::Time t, absl::TimeZone zone) {
  const absl::CivilSecond local = absl::ToCivilSecond(t, zone);
  return Key(static_cast<int>(local.year()), local.month());
}

std::string MonthLabel(int month_key) {
  return absl::StrFormat("%04d-%02d", month_key / 100, month_key % 100);
}

absl::StatusOr<int> ParseMonth(std::string_view field, std::string_view text) {
  absl::StatusOr<Period> period = ParsePeriod(field, text);
  if (!period.ok() || period->kind != PeriodKind::kMonth) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": ", Shown(text), " is not a month; use YYYY-MM (years 2000-2100)"));
  }
  return period->first_month;
}

int AddMonths(int month_key, int n) {
  const int index = (month_key / 100) * 12 + (month_key % 100 - 1) + n;
  const int year = index >= 0 ? index / 12 : (index - 11) / 12;
  return Key(year, index - year * 12 + 1);
}

int MonthsBetween(int from, int to) {
  return ((to / 100) * 12 + to % 100) - ((from / 100) * 12 + from % 100);
}

}  // namespace kam::analytics
