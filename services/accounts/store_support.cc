#include "services/accounts/store_support.h"

#include "absl/strings/str_cat.h"

namespace kam::accounts {
namespace {

nlohmann::json BusinessJson(const BusinessProfile& b) {
  return {{"service_area", b.service_area},
          {"sales_capability", b.sales_capability},
          {"growth_potential", b.growth_potential},
          {"business_direction", b.business_direction},
          {"competitive_position", b.competitive_position},
          {"reputation", b.reputation},
          {"trade_terms", b.trade_terms},
          {"employee_count", b.employee_count},
          {"annual_revenue_minor", b.annual_revenue_minor}};
}

BusinessProfile BusinessFromJson(const nlohmann::json& j) {
  BusinessProfile b;
  if (!j.is_object()) return b;
  b.service_area = j.value("service_area", "");
  b.sales_capability = j.value("sales_capability", "");
  b.growth_potential = j.value("growth_potential", "");
  b.business_direction = j.value("business_direction", "");
  b.competitive_position = j.value("competitive_position", "");
  b.reputation = j.value("reputation", "");
  b.trade_terms = j.value("trade_terms", "");
  b.employee_count = j.value("employee_count", 0);
  b.annual_revenue_minor = j.value("annual_revenue_minor", int64_t{0});
  return b;
}

}  // namespace

const char kAccountColumns[] =
    "a.id, a.name, a.registration_number, a.nature, a.industry, a.region, a.scale, "
    "a.lifecycle_stage, a.status, a.tier, a.owner_id, a.archived, a.version, a.create_time, "
    "a.update_time, a.archive_time, a.parent_id, a.transaction_process, a.volume_position, "
    "a.address, a.phone, a.legal_representative, a.business_json, a.tags_json, a.credit_rating, "
    "a.credit_limit_minor, a.receivable_minor, a.visit_plan_suspended, a.visit_streak_since";

const char kSubtreeCte[] =
    "WITH RECURSIVE subtree (id, depth) AS ("
    "SELECT id, 0 FROM accounts WHERE id = ? "
    "UNION ALL SELECT c.id, s.depth + 1 FROM accounts c JOIN subtree s ON c.parent_id = s.id) ";

const char kAncestorsCte[] =
    "WITH RECURSIVE ancestors (id, depth) AS ("
    "SELECT id, 0 FROM accounts WHERE id = ? "
    "UNION ALL SELECT p.parent_id, s.depth + 1 FROM accounts p JOIN ancestors s ON p.id = s.id "
    "WHERE p.parent_id IS NOT NULL) ";

Account ReadAccount(const sql::ResultSet& row) {
  Account a;
  a.id = row.getInt64("id");
  a.name = row.getString("name");
  a.registration_number = row.getString("registration_number");
  a.nature = static_cast<Nature>(row.getInt("nature"));
  a.industry = row.getString("industry");
  a.region = row.getString("region");
  a.scale = static_cast<Scale>(row.getInt("scale"));
  a.lifecycle_stage = static_cast<LifecycleStage>(row.getInt("lifecycle_stage"));
  a.status = static_cast<AccountStatus>(row.getInt("status"));
  a.tier = static_cast<Tier>(row.getInt("tier"));
  a.owner_id = row.getString("owner_id");
  a.archived = row.getBoolean("archived");
  a.version = row.getInt64("version");
  a.create_time = FromSqlTime(row.getString("create_time"));
  a.update_time = FromSqlTime(row.getString("update_time"));
  a.archive_time = OptionalTimeColumn(row, "archive_time");
  a.parent_id = row.isNull("parent_id") ? 0 : row.getInt64("parent_id");
  a.transaction_process = static_cast<TransactionProcess>(row.getInt("transaction_process"));
  a.volume_position = static_cast<VolumePosition>(row.getInt("volume_position"));
  a.address = row.getString("address");
  a.phone = row.getString("phone");
  a.legal_representative = row.getString("legal_representative");
  const std::string business = row.getString("business_json");
  if (!business.empty()) a.business = BusinessFromJson(nlohmann::json::parse(business));
  a.tags = nlohmann::json::parse(std::string(row.getString("tags_json")))
               .get<std::vector<std::string>>();
  a.credit_rating = static_cast<CreditRating>(row.getInt("credit_rating"));
  a.credit_limit_minor = row.getInt64("credit_limit_minor");
  a.receivable_minor = row.getInt64("receivable_minor");
  a.visit_plan_suspended = row.getBoolean("visit_plan_suspended");
  a.visit_streak_since = OptionalTimeColumn(row, "visit_streak_since");
  return a;
}

nlohmann::json AccountJson(const Account& a) {
  return {{"id", a.id},
          {"name", a.name},
          {"registration_number", a.registration_number},
          {"nature", a.nature},
          {"industry", a.industry},
          {"region", a.region},
          {"scale", a.scale},
          {"lifecycle_stage", a.lifecycle_stage},
          {"status", a.status},
          {"tier", a.tier},
          {"owner_id", a.owner_id},
          {"archived", a.archived},
          {"version", a.version},
          {"create_time", TimeJson(a.create_time)},
          {"update_time", TimeJson(a.update_time)},
          {"archive_time", OptionalTimeJson(a.archive_time)},
          {"parent_id", a.parent_id},
          {"transaction_process", a.transaction_process},
          {"volume_position", a.volume_position},
          {"address", a.address},
          {"phone", a.phone},
          {"legal_representative", a.legal_representative},
          {"business", BusinessJson(a.business)},
          {"tags", a.tags},
          {"credit_rating", a.credit_rating},
          {"credit_limit_minor", a.credit_limit_minor},
          {"receivable_minor", a.receivable_minor},
          {"visit_plan_suspended", a.visit_plan_suspended},
          {"visit_streak_since", OptionalTimeJson(a.visit_streak_since)}};
}

Account AccountFromJson(const nlohmann::json& j) {
  Account a;
  a.id = j.at("id");
  a.name = j.at("name");
  a.registration_number = j.at("registration_number");
  a.nature = j.at("nature");
  a.industry = j.at("industry");
  a.region = j.at("region");
  a.scale = j.at("scale");
  a.lifecycle_stage = j.at("lifecycle_stage");
  a.status = j.at("status");
  a.tier = j.at("tier");
  a.owner_id = j.at("owner_id");
  a.archived = j.at("archived");
  a.version = j.at("version");
  a.create_time = TimeFromJson(j.at("create_time"));
  a.update_time = TimeFromJson(j.at("update_time"));
  a.archive_time = OptionalTimeFromJson(j.at("archive_time"));
  // Rows written before the archive grew these fields lack them.
  a.parent_id = j.value("parent_id", int64_t{0});
  a.transaction_process = j.value("transaction_process", TransactionProcess::kUnspecified);
  a.volume_position = j.value("volume_position", VolumePosition::kUnspecified);
  a.address = j.value("address", "");
  a.phone = j.value("phone", "");
  a.legal_representative = j.value("legal_representative", "");
  if (j.contains("business")) a.business = BusinessFromJson(j.at("business"));
  a.tags = j.value("tags", std::vector<std::string>{});
  a.credit_rating = j.value("credit_rating", CreditRating::kUnspecified);
  a.credit_limit_minor = j.value("credit_limit_minor", int64_t{0});
  a.receivable_minor = j.value("receivable_minor", int64_t{0});
  a.visit_plan_suspended = j.value("visit_plan_suspended", false);
  if (j.contains("visit_streak_since")) {
    a.visit_streak_since = OptionalTimeFromJson(j.at("visit_streak_since"));
  }
  return a;
}

std::optional<AccountView> SelectAccountView(DbConnection& db, int64_t id,
                                             const std::string& subject, bool lock) {
  static const std::string base = absl::StrCat(
      "SELECT ", kAccountColumns,
      ", EXISTS(SELECT 1 FROM account_access x WHERE x.member_id = ? AND x.account_id = a.id) "
      "AS works_on FROM accounts a WHERE a.id = ?");
  static const std::string locking = base + " FOR UPDATE";
  sql::PreparedStatement& select = db.Prepare(lock ? locking : base);
  BindAll(select, {subject, id});
  std::unique_ptr<sql::ResultSet> row(select.executeQuery());
  if (!row->next()) return std::nullopt;
  return AccountView{ReadAccount(*row), row->getBoolean("works_on")};
}

absl::Status AccountNotFound(int64_t id) {
  return absl::NotFoundError(absl::StrCat("account ", id, " not found"));
}

}  // namespace kam::accounts
