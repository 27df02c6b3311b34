#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kam/analytics/v1/analytics.pb.h"
#include "tools/kamctl/client.h"

namespace kam::kamctl {

// Adds `analytics` with a command per AnalyticsService method: the sales analyses (abc,
// composition, transactions, product-mix, products), score, the KPIs (retention, pipeline,
// complaints, scorecard), standing, tier-review run|get|list|changes and the inputs (inventory-put,
// targets-put), through the gateway.
void AddAnalyticsCommands(CLI::App& app, const Options& options, Action* action);

// The tier review and the inputs of `analytics` (analytics_review_commands.cc).
void AddAnalyticsReviewCommands(CLI::App& analytics, const Options& options, Action* action);

// Flags the ABC analysis, the score and the tier review share (analytics_commands.cc).

// --period: required, checked before the call.
void AddPeriodFlag(CLI::App* command, std::string* period);

// --a-share and --b-share: the ABC class thresholds as cumulative-share percentages.
struct ThresholdFlags {
  std::string a_share, b_share;
};
void AddThresholdFlags(CLI::App* command, ThresholdFlags* flags);
// In basis points, 0 for a flag not given (the service's default); INVALID_ARGUMENT when
// both are given and --a-share is not below --b-share.
absl::StatusOr<kam::analytics::v1::AbcThresholds> Thresholds(const ThresholdFlags& flags);

// --weight FACTOR=WEIGHT (repeat, or a,b); checked with ParseWeights.
void AddWeightFlag(CLI::App* command, std::vector<std::string>* weights);

}  // namespace kam::kamctl
