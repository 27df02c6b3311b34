#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "kam/analytics/v1/analytics.pb.h"

// What users type for the analytics commands: periods, factor weights and the CSV files of
// inventory snapshots and account targets. Checked here so that a typo is a usage error that
// names the value, before anything is sent.
namespace kam::kamctl {

// The most snapshots or targets one Put call takes (analytics.proto).
inline constexpr int kAnalyticsPutBatchSize = 500;

// "2026" (a year), "2026-Q3" (a quarter) or "2026-07" (a month).
bool IsPeriod(std::string_view text);
CLI::Validator PeriodValidator();

// "2026-07": a month as the service takes it.
bool IsMonth(std::string_view text);

// A fraction from 0 to 1 ("0.8"), for score thresholds and weights.
CLI::Validator FractionValidator();

// "revenue=0.3" items (names as ScoreWeights fields, '-' for '_') -> the weights; every
// factor not named is 0. INVALID_ARGUMENT for an unknown factor, a value outside 0-1, a
// factor named twice, or weights that do not sum to 1 (within 1e-6).
absl::StatusOr<kam::analytics::v1::ScoreWeights> ParseWeights(
    const std::vector<std::string>& items);
// "contract_volume, unit_price, ...": the factor names, for help and errors.
std::string WeightNames();

// CSV lines "product_code,month,value,quantity": value the month's average inventory at cost
// in CNY (1234.56), quantity the units on hand (a whole number, may be empty for 0).
// "account_id,year,expected_share_percent,wallet_estimate,industry_influence": expected share
// a percentage (12.5), wallet estimate CNY (empty or 0 when unknown), influence 0-100.
// Both skip blank lines, lines starting with '#' and a first line naming the columns; fields
// are not quoted (no commas inside a field). INVALID_ARGUMENT names the line (from 1) and
// the field that is wrong.
absl::StatusOr<std::vector<kam::analytics::v1::InventorySnapshot>> ParseInventoryCsv(
    std::string_view text);
absl::StatusOr<std::vector<kam::analytics::v1::AccountTarget>> ParseTargetsCsv(
    std::string_view text);

}  // namespace kam::kamctl
