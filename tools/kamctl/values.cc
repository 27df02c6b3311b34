#include "tools/kamctl/values.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kam::kamctl {
namespace {

constexpr char kDayFormat[] = "%Y-%m-%d";

std::string Quoted(std::string_view text) { return absl::StrCat("\"", std::string(text), "\""); }

bool AllDigits(std::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "1234567" -> "1,234,567".
std::string Grouped(uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// A day in UTC. absl normalises 2026-02-30 to March 2nd; a day that does not format back to
// the text given is not a real day.
bool ParseDay(std::string_view text, absl::Time* time) {
  std::string error;
  return absl::ParseTime(kDayFormat, std::string(text), absl::UTCTimeZone(), time, &error) &&
         absl::FormatTime(kDayFormat, *time, absl::UTCTimeZone()) == text;
}

CLI::Validator FromParser(std::string name, std::string (*check)(const std::string&)) {
  return CLI::Validator([check](std::string& text) { return check(text); }, std::move(name));
}

}  // namespace

absl::StatusOr<int64_t> ParseMoney(std::string_view text) {
  const size_t point = text.find('.');
  const std::string_view whole = text.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (whole.empty() || !AllDigits(whole) || !AllDigits(fraction) ||
      (point != std::string_view::npos && fraction.empty())) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quoted(text), " is not an amount such as 1234.56"));
  }
  if (fraction.size() > 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quoted(text), " has more than 2 decimals (the smallest amount is 0.01)"));
  }
  int64_t cents = 0;
  if (!fraction.empty()) {
    (void)absl::SimpleAtoi(std::string(fraction), &cents);  // one or two digits
    if (fraction.size() == 1) cents *= 10;
  }
  int64_t units = 0;
  if (whole.size() > 18 || !absl::SimpleAtoi(std::string(whole), &units) ||
      units > (std::numeric_limits<int64_t>::max() - cents) / 100) {
    return absl::InvalidArgumentError(absl::StrCat(Quoted(text), " is too large"));
  }
  return units * 100 + cents;
}

std::string FormatMoney(int64_t minor_units, std::string_view currency) {
  // Negated as unsigned so that the most negative value has a magnitude too.
  const uint64_t magnitude =
      minor_units < 0 ? 0 - static_cast<uint64_t>(minor_units) : static_cast<uint64_t>(minor_units);
  const uint64_t cents = magnitude % 100;
  return absl::StrCat(minor_units < 0 ? "-" : "", Grouped(magnitude / 100), ".",
                      cents < 10 ? "0" : "", cents, " ",
                      currency.empty() ? kCurrency : std::string(currency));
}

absl::StatusOr<absl::Time> ParseTime(std::string_view text) {
  absl::Time time;
  std::string error;
  if (ParseDay(text, &time) ||
      absl::ParseTime(absl::RFC3339_full, std::string(text), &time, &error)) {
    return time;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      Quoted(text), " is not a day (2026-12-01) or an RFC 3339 time (2026-11-20T10:00:00Z)"));
}

absl::StatusOr<absl::Time> ParseLastDay(std::string_view text) {
  absl::Time day;
  if (ParseDay(text, &day)) return day + absl::Hours(24);
  return ParseTime(text);
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  const int64_t seconds = absl::ToUnixSeconds(time);
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(
      static_cast<int32_t>((time - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return timestamp;
}

std::string FormatDay(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "";
  return absl::FormatTime(kDayFormat, absl::FromUnixSeconds(time.seconds()), absl::UTCTimeZone());
}

std::string FormatBasisPoints(int32_t basis_points) {
  const int64_t magnitude = basis_points < 0 ? -int64_t{basis_points} : basis_points;
  const int64_t hundredths = magnitude % 100;
  return absl::StrCat(basis_points < 0 ? "-" : "", magnitude / 100, ".", hundredths < 10 ? "0" : "",
                      hundredths, "%");
}

absl::StatusOr<int32_t> ParsePercent(std::string_view text) {
  const size_t point = text.find('.');
  const std::string_view whole = text.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (whole.empty() || whole.size() > 3 || !AllDigits(whole) || !AllDigits(fraction) ||
      (point != std::string_view::npos && fraction.empty()) || fraction.size() > 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quoted(text), " is not a percentage such as 75 or 72.5 (at most 2 decimals)"));
  }
  int32_t percent = 0, hundredths = 0;
  (void)absl::SimpleAtoi(std::string(whole), &percent);  // 1 to 3 digits
  if (!fraction.empty()) {
    (void)absl::SimpleAtoi(std::string(fraction), &hundredths);  // 1 or 2 digits
    if (fraction.size() == 1) hundredths *= 10;
  }
  const int32_t basis_points = percent * 100 + hundredths;
  if (basis_points > 10000) {
    return absl::InvalidArgumentError(absl::StrCat(Quoted(text), " is more than 100 percent"));
  }
  return basis_points;
}

std::string FormatShare(double fraction) { return absl::StrFormat("%.1f%%", fraction * 100); }

std::string IdText(int64_t id) { return id == 0 ? "" : std::to_string(id); }

CLI::Validator MoneyValidator() {
  return FromParser("AMOUNT", [](const std::string& text) -> std::string {
    auto parsed = ParseMoney(text);
    return parsed.ok() ? "" : std::string(parsed.status().message());
  });
}

CLI::Validator TimeValidator() {
  return FromParser("TIME", [](const std::string& text) -> std::string {
    auto parsed = ParseTime(text);
    return parsed.ok() ? "" : std::string(parsed.status().message());
  });
}

CLI::Validator PercentValidator() {
  return FromParser("PERCENT", [](const std::string& text) -> std::string {
    auto parsed = ParsePercent(text);
    return parsed.ok() ? "" : std::string(parsed.status().message());
  });
}

CLI::Validator NonNegativeInteger(int bits) {
  const int64_t max =
      bits == 32 ? std::numeric_limits<int32_t>::max() : std::numeric_limits<int64_t>::max();
  return CLI::Validator(
      [max](std::string& text) -> std::string {
        int64_t value = 0;
        if (AllDigits(text) && absl::SimpleAtoi(text, &value) && value <= max) return "";
        return absl::StrCat(Quoted(text), " is not a whole number from 0 to ", max);
      },
      "INTEGER");
}

}  // namespace kam::kamctl
