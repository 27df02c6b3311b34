#pragma once

#include <google/protobuf/repeated_ptr_field.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "services/analytics/inputs_store.h"
#include "services/analytics/scope.h"
#include "services/common/identity.h"

// The edge's rules for AnalyticsService requests, apart from gRPC: who may call which
// method (analytics.proto; the gateway has its own policy, this is defence in depth), what
// account managers may see, and the checks of every request field (INVALID_ARGUMENT naming
// the field).
namespace kam::analytics {

// ---- roles ----

// The analyses, the score and the KPIs: director, analyst, account_manager, admin, system.
absl::Status RequireAnalyst(const Principal& caller);
// GetAccountStanding: the analysts' roles and system (the gateway's 360 view for machine
// callers).
absl::Status RequireStandingReader(const Principal& caller);
// PutInventorySnapshots: system, admin.
absl::Status RequireInventoryWriter(const Principal& caller);
// PutAccountTargets: director, analyst, admin, system.
absl::Status RequireTargetWriter(const Principal& caller);
// RunTierReview: director, admin, system.
absl::Status RequireReviewRunner(const Principal& caller);
// GetTierReview, ListTierReviews, ListTierChanges: director, analyst, admin.
absl::Status RequireReviewReader(const Principal& caller);

// Directors, analysts, admins and system callers see every account; account managers (with
// none of those roles) only the accounts they own.
bool SeesEveryAccount(const Principal& caller);

// The answer to an account manager about an account that is not theirs, or does not exist:
// the same, so that ids cannot be probed (AIP-211).
absl::Status NotYourAccount(int64_t account_id);

// ---- analysis requests ----

// The period ("period") and filter ("filter.*") checked; for account managers the filter's
// owner_id is set to the caller (PERMISSION_DENIED when it names someone else).
absl::StatusOr<Scope> CheckScope(const Principal& caller, std::string_view period,
                                 const v1::AnalysisFilter& filter);
absl::Status CheckFilter(const v1::AnalysisFilter& filter);

// "dimension": required and known.
absl::Status CheckDimension(int dimension);
// "at_risk_months": 0 means 3; else 1-60.
absl::StatusOr<int> CheckAtRiskMonths(int32_t months);
// "repeat_threshold": 0 means 2; else at least 2.
absl::StatusOr<int> CheckRepeatThreshold(int32_t threshold);
// "review_id": required, 1-64 characters of an id.
absl::Status CheckReviewId(std::string_view review_id);

// ---- inputs ----

// "snapshots": 1-500 snapshots, each checked ("snapshots[i].<field>"), amounts in `currency`
// (an empty currency_code means it), no (product_code, month) twice.
absl::StatusOr<std::vector<InventoryRow>> CheckSnapshots(
    const google::protobuf::RepeatedPtrField<v1::InventorySnapshot>& snapshots,
    const std::string& currency);
// "targets": 1-500 targets, each checked ("targets[i].<field>"), no (account_id, year) twice.
absl::StatusOr<std::vector<TargetRow>> CheckTargets(
    const google::protobuf::RepeatedPtrField<v1::AccountTarget>& targets,
    const std::string& currency);

}  // namespace kam::analytics
