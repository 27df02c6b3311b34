#pragma once

#include <cppconn/resultset.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "kam/analytics/v1/analytics.pb.h"
#include "services/analytics/period.h"
#include "services/common/db.h"

// What every analysis shares: the company settings, the period and account filter it runs
// over, and the SQL that applies the filter to the projected accounts table (alias `a`).
namespace kam::analytics {

// Process settings the projection and the analyses agree on.
struct AnalyticsConfig {
  // Months are cut in this zone (--time-zone).
  absl::TimeZone zone;
  // Only amounts in this currency are counted (--currency).
  std::string currency = "CNY";
};

struct Scope {
  Period period;
  // Already checked and, for account managers, narrowed to their own accounts.
  v1::AnalysisFilter filter;
};

// The condition on `accounts a` every analysis applies: not archived, and each filter field
// that is set. Bind AccountConditionParams(filter) for its placeholders, in order.
extern const char kAccountCondition[];
std::vector<SqlParam> AccountConditionParams(const v1::AnalysisFilter& filter);

// The columns of `accounts a` ReadAccountRef reads, for SELECT lists.
extern const char kAccountRefColumns[];
// Reads the kAccountRefColumns of the current row (by name: account_id, name, tier,
// owner_id, region, industry).
void ReadAccountRef(const sql::ResultSet& row, v1::AccountRef* out);

v1::Money MakeMoney(int64_t minor_units, const std::string& currency);
// numerator / denominator as a fraction; 0 when the denominator is 0.
double Ratio(int64_t numerator, int64_t denominator);

// Appends `params` to `out` (building a statement's parameter list piece by piece).
void Append(std::vector<SqlParam>& out, const std::vector<SqlParam>& params);

}  // namespace kam::analytics
