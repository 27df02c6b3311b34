#include "services/analytics/service_checks.h"

#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/analytics/period.h"
#include "services/common/proto_support.h"
#include "services/common/status.h"
#include "services/common/validation.h"

namespace kam::analytics {
namespace {

constexpr size_t kMaxFilterText = 100;  // the accounts columns region and industry
constexpr size_t kMaxProductCode = 64;  // as OrderLine.product_code
constexpr size_t kMaxReviewId = 64;
constexpr int kMaxInputs = 500;
constexpr int kDefaultAtRiskMonths = 3;
constexpr int kMaxAtRiskMonths = 60;
constexpr int kDefaultRepeatThreshold = 2;
constexpr int kMinTargetYear = 2000;
constexpr int kMaxTargetYear = 2100;
constexpr int kMaxShareBp = 10000;
constexpr int kMaxIndustryInfluence = 100;

absl::Status RequireRole(const Principal& caller, std::initializer_list<std::string_view> roles,
                         std::string_view refusal) {
  if (caller.HasAnyRole(roles)) return absl::OkStatus();
  return absl::PermissionDeniedError(std::string(refusal));
}

// OrderLine.product_code's rule (accounts): 1-64 letters, digits and - _ . /
absl::Status CheckProductCode(std::string_view field, std::string_view code) {
  if (code.empty()) return InvalidField(field, "required");
  if (code.size() > kMaxProductCode) {
    return InvalidField(field, absl::StrCat("longer than ", kMaxProductCode, " characters"));
  }
  for (char c : code) {
    if (!absl::ascii_isalnum(c) && std::string_view("-_./").find(c) == std::string_view::npos) {
      return InvalidField(field, "may hold only letters, digits and -_./");
    }
  }
  return absl::OkStatus();
}

// An amount in the reporting currency (empty currency_code means it), not negative.
absl::Status CheckAmount(const std::string& field, const v1::Money& money,
                         const std::string& currency) {
  if (!money.currency_code().empty() && money.currency_code() != currency) {
    return InvalidField(field + ".currency_code",
                        absl::StrCat("must be ", currency, " (the reporting currency) or empty"));
  }
  if (money.minor_units() < 0) return InvalidField(field + ".minor_units", "must not be negative");
  return absl::OkStatus();
}

absl::Status CheckRange(const std::string& field, int64_t value, int64_t low, int64_t high) {
  if (value < low || value > high) {
    return InvalidField(field, absl::StrCat("must be ", low, " to ", high));
  }
  return absl::OkStatus();
}

absl::Status CheckCount(std::string_view field, int count) {
  if (count == 0) return InvalidField(field, "at least one");
  if (count > kMaxInputs) return InvalidField(field, absl::StrCat("at most ", kMaxInputs));
  return absl::OkStatus();
}

absl::StatusOr<InventoryRow> CheckSnapshot(const std::string& field, const v1::InventorySnapshot& s,
                                           const std::string& currency) {
  if (auto st = CheckProductCode(field + ".product_code", s.product_code()); !st.ok()) return st;
  absl::StatusOr<int> month = ParseMonth(field + ".month", s.month());
  if (!month.ok()) return month.status();
  if (auto st = CheckAmount(field + ".value", s.value(), currency); !st.ok()) return st;
  if (s.quantity() < 0) return InvalidField(field + ".quantity", "must not be negative");
  return InventoryRow{s.product_code(), *month, s.value().minor_units(), s.quantity()};
}

absl::StatusOr<TargetRow> CheckTarget(const std::string& field, const v1::AccountTarget& t,
                                      const std::string& currency) {
  if (auto st = CheckId(field + ".account_id", t.account_id()); !st.ok()) return st;
  if (auto st = CheckRange(field + ".year", t.year(), kMinTargetYear, kMaxTargetYear); !st.ok()) {
    return st;
  }
  if (auto st = CheckRange(field + ".expected_share_bp", t.expected_share_bp(), 0, kMaxShareBp);
      !st.ok()) {
    return st;
  }
  if (auto st = CheckAmount(field + ".wallet_estimate", t.wallet_estimate(), currency); !st.ok()) {
    return st;
  }
  if (auto st = CheckRange(field + ".industry_influence", t.industry_influence(), 0,
                           kMaxIndustryInfluence);
      !st.ok()) {
    return st;
  }
  return TargetRow{t.account_id(), t.year(), t.expected_share_bp(),
                   t.wallet_estimate().minor_units(), t.industry_influence()};
}

}  // namespace

// ---- roles ----

absl::Status RequireAnalyst(const Principal& caller) {
  return RequireRole(caller, {"director", "analyst", "account_manager", "admin"},
                     "analyses are for directors, analysts, account managers and admins");
}

absl::Status RequireStandingReader(const Principal& caller) {
  return RequireRole(caller, {"director", "analyst", "account_manager", "admin", "system"},
                     "account standings are for directors, analysts, account managers, admins "
                     "and system callers");
}

absl::Status RequireInventoryWriter(const Principal& caller) {
  return RequireRole(caller, {"system", "admin"},
                     "inventory snapshots are put by system callers and admins");
}

absl::Status RequireTargetWriter(const Principal& caller) {
  return RequireRole(caller, {"director", "analyst", "admin", "system"},
                     "account targets are put by directors, analysts, admins and system callers");
}

absl::Status RequireReviewRunner(const Principal& caller) {
  return RequireRole(caller, {"director", "admin", "system"},
                     "tier reviews are run by directors, admins and the schedule");
}

absl::Status RequireReviewReader(const Principal& caller) {
  return RequireRole(caller, {"director", "analyst", "admin"},
                     "tier reviews are read by directors, analysts and admins");
}

bool SeesEveryAccount(const Principal& caller) {
  return caller.HasAnyRole({"director", "analyst", "admin"});
}

absl::Status NotYourAccount(int64_t account_id) {
  return absl::PermissionDeniedError(
      absl::StrCat("account ", account_id, " is not one of your accounts"));
}

// ---- analysis requests ----

absl::Status CheckFilter(const v1::AnalysisFilter& filter) {
  if (auto s = CheckText("filter.region", filter.region(), kMaxFilterText, false); !s.ok()) {
    return s;
  }
  if (auto s = CheckText("filter.industry", filter.industry(), kMaxFilterText, false); !s.ok()) {
    return s;
  }
  if (auto s = CheckToken("filter.owner_id", filter.owner_id(), kMaxSubjectChars, false); !s.ok()) {
    return s;
  }
  if (filter.group_id() < 0) return InvalidField("filter.group_id", "must not be negative");
  return CheckEnum("filter.tier", filter.tier(), kam::accounts::v1::Tier_MAX, false);
}

absl::StatusOr<Scope> CheckScope(const Principal& caller, std::string_view period,
                                 const v1::AnalysisFilter& filter) {
  absl::StatusOr<Period> parsed = ParsePeriod("period", period);
  if (!parsed.ok()) return parsed.status();
  if (auto s = CheckFilter(filter); !s.ok()) return s;
  Scope scope{*std::move(parsed), filter};
  if (SeesEveryAccount(caller)) return scope;
  if (!filter.owner_id().empty() && filter.owner_id() != caller.subject) {
    return absl::PermissionDeniedError(
        "filter.owner_id: account managers see analyses over their own accounts only");
  }
  scope.filter.set_owner_id(caller.subject);
  return scope;
}

absl::Status CheckDimension(int dimension) {
  return CheckEnum("dimension", dimension, v1::Dimension_MAX, /*required=*/true);
}

absl::StatusOr<int> CheckAtRiskMonths(int32_t months) {
  if (months == 0) return kDefaultAtRiskMonths;
  if (auto s = CheckRange("at_risk_months", months, 1, kMaxAtRiskMonths); !s.ok()) return s;
  return months;
}

absl::StatusOr<int> CheckRepeatThreshold(int32_t threshold) {
  if (threshold == 0) return kDefaultRepeatThreshold;
  if (threshold < kDefaultRepeatThreshold) {
    return InvalidField("repeat_threshold",
                        absl::StrCat("must be at least ", kDefaultRepeatThreshold));
  }
  return threshold;
}

absl::Status CheckReviewId(std::string_view review_id) {
  return CheckToken("review_id", review_id, kMaxReviewId, /*required=*/true);
}

// ---- inputs ----

absl::StatusOr<std::vector<InventoryRow>> CheckSnapshots(
    const google::protobuf::RepeatedPtrField<v1::InventorySnapshot>& snapshots,
    const std::string& currency) {
  if (auto s = CheckCount("snapshots", snapshots.size()); !s.ok()) return s;
  std::vector<InventoryRow> rows;
  std::map<std::pair<std::string, int>, int> seen;
  for (int i = 0; i < snapshots.size(); ++i) {
    const std::string field = absl::StrCat("snapshots[", i, "]");
    absl::StatusOr<InventoryRow> row = CheckSnapshot(field, snapshots[i], currency);
    if (!row.ok()) return row.status();
    auto [first, fresh] = seen.emplace(std::make_pair(row->product_code, row->month), i);
    if (!fresh) {
      return InvalidField(
          field, absl::StrCat("the same product_code and month as snapshots[", first->second, "]"));
    }
    rows.push_back(*std::move(row));
  }
  return rows;
}

absl::StatusOr<std::vector<TargetRow>> CheckTargets(
    const google::protobuf::RepeatedPtrField<v1::AccountTarget>& targets,
    const std::string& currency) {
  if (auto s = CheckCount("targets", targets.size()); !s.ok()) return s;
  std::vector<TargetRow> rows;
  std::map<std::pair<int64_t, int>, int> seen;
  for (int i = 0; i < targets.size(); ++i) {
    const std::string field = absl::StrCat("targets[", i, "]");
    absl::StatusOr<TargetRow> row = CheckTarget(field, targets[i], currency);
    if (!row.ok()) return row.status();
    auto [first, fresh] = seen.emplace(std::make_pair(row->account_id, row->year), i);
    if (!fresh) {
      return InvalidField(
          field, absl::StrCat("the same account_id and year as targets[", first->second, "]"));
    }
    rows.push_back(*std::move(row));
  }
  return rows;
}

}  // namespace kam::analytics
