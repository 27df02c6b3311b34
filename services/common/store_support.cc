#include "services/common/store_support.h"

#include "absl/strings/str_cat.h"
#include "services/common/outbox.h"

namespace kam {
namespace {

constexpr char kLastInsertId[] = "SELECT LAST_INSERT_ID()";

}  // namespace

int64_t LastInsertId(DbConnection& db) {
  std::unique_ptr<sql::ResultSet> row(db.Prepare(kLastInsertId).executeQuery());
  row->next();
  return row->getInt64(1);
}

nlohmann::json TimeJson(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time TimeFromJson(const nlohmann::json& j) { return absl::FromUnixMicros(j.get<int64_t>()); }

nlohmann::json OptionalTimeJson(const std::optional<absl::Time>& t) {
  return t ? TimeJson(*t) : nlohmann::json();
}

std::optional<absl::Time> OptionalTimeFromJson(const nlohmann::json& j) {
  if (j.is_null()) return std::nullopt;
  return TimeFromJson(j);
}

SqlParam OptionalTimeParam(const std::optional<absl::Time>& t) {
  return t ? SqlParam(*t) : SqlParam(SqlNull{});
}

std::optional<absl::Time> OptionalTimeColumn(const sql::ResultSet& row, const char* column) {
  if (row.isNull(column)) return std::nullopt;
  return FromSqlTime(row.getString(column));
}

SqlParam OptionalIdParam(int64_t id) { return id == 0 ? SqlParam(SqlNull{}) : SqlParam(id); }

void Record(DbConnection& db, const Mutation& m, const std::string& type, const std::string& action,
            const std::string& id, const nlohmann::json& before, const nlohmann::json& after) {
  const std::string event_type = absl::StrCat(type, ".", action);
  WriteAudit(
      db, {m.actor, event_type, type, id, m.trace_id, m.now, before.dump(), after.dump(), m.note});
  WriteOutbox(db, {event_type, type, id, after.dump(), m.now});
}

}  // namespace kam
