#include "services/analytics/scope.h"

namespace kam::analytics {

// The `? = ''` / `? = 0` guards make an unset filter field match everything while the
// statement text stays the same (one prepared statement per analysis).
const char kAccountCondition[] =
    "a.archived = 0"
    " AND (? = '' OR a.region = ?)"
    " AND (? = '' OR a.industry = ?)"
    " AND (? = '' OR a.owner_id = ?)"
    " AND (? = 0 OR a.tier = ?)"
    " AND (? = 0 OR a.account_id IN (SELECT g.account_id FROM account_groups g"
    " WHERE g.group_id = ?))";

const char kAccountRefColumns[] = "a.account_id, a.name, a.tier, a.owner_id, a.region, a.industry";

std::vector<SqlParam> AccountConditionParams(const v1::AnalysisFilter& filter) {
  const int64_t tier = filter.tier();
  return {filter.region(),
          filter.region(),
          filter.industry(),
          filter.industry(),
          filter.owner_id(),
          filter.owner_id(),
          tier,
          tier,
          filter.group_id(),
          filter.group_id()};
}

void ReadAccountRef(const sql::ResultSet& row, v1::AccountRef* out) {
  out->set_id(row.getInt64("account_id"));
  out->set_name(row.getString("name"));
  out->set_tier(static_cast<kam::accounts::v1::Tier>(row.getInt("tier")));
  out->set_owner_id(row.getString("owner_id"));
  out->set_region(row.getString("region"));
  out->set_industry(row.getString("industry"));
}

v1::Money MakeMoney(int64_t minor_units, const std::string& currency) {
  v1::Money money;
  money.set_currency_code(currency);
  money.set_minor_units(minor_units);
  return money;
}

double Ratio(int64_t numerator, int64_t denominator) {
  if (denominator == 0) return 0.0;
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

void Append(std::vector<SqlParam>& out, const std::vector<SqlParam>& params) {
  out.insert(out.end(), params.begin(), params.end());
}

}  // namespace kam::analytics
