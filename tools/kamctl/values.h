#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace kam::kamctl {

// The currency of every amount kamctl takes (the deployment's default, see archive.proto).
inline constexpr char kCurrency[] = "CNY";

// "1234.56" -> 123456 minor units. Digits with an optional point and at most two decimals;
// no sign, grouping or exponent, so that a typo cannot turn into a different amount.
absl::StatusOr<int64_t> ParseMoney(std::string_view text);

// 1234567 minor units -> "12,345.67 CNY"; an empty currency is kCurrency.
std::string FormatMoney(int64_t minor_units, std::string_view currency);

// A day "2026-12-01" (midnight UTC) or an RFC 3339 time "2026-11-20T10:00:00Z" (any offset).
absl::StatusOr<absl::Time> ParseTime(std::string_view text);

// Like ParseTime, but a bare day means the end of that day (the next midnight UTC), for
// flags that name the last day something is in force.
absl::StatusOr<absl::Time> ParseLastDay(std::string_view text);

google::protobuf::Timestamp ToTimestamp(absl::Time time);

// "2026-12-01" (UTC), or empty when unset.
std::string FormatDay(const google::protobuf::Timestamp& time);

// 8750 basis points -> "87.50%".
std::string FormatBasisPoints(int32_t basis_points);

// A percentage "75" or "72.5" (at most two decimals, 0 to 100) -> basis points (7500, 7250).
absl::StatusOr<int32_t> ParsePercent(std::string_view text);

// A fraction as a percentage with one decimal: 0.7834 -> "78.3%".
std::string FormatShare(double fraction);

// The id as text, or empty for 0 (none), which tables show as "-".
std::string IdText(int64_t id);

// CLI11 checks that accept what the parsers above accept, with their messages.
CLI::Validator MoneyValidator();
CLI::Validator TimeValidator();
CLI::Validator PercentValidator();
// An integer >= 0 that fits in `bits` (32 or 64) bits.
CLI::Validator NonNegativeInteger(int bits);

}  // namespace kam::kamctl
