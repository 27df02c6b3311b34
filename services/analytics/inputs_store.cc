#include "services/analytics/inputs_store.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/analytics/period.h"
#include "services/common/multi_row.h"

namespace kam::analytics {
namespace {

constexpr char kInventoryType[] = "inventory_snapshot";
constexpr char kTargetType[] = "account_target";
constexpr char kRevision[] = "SELECT events FROM outbox_lock WHERE id = 1";

// Locking reads take up to 64 rows: one statement per chunk of 64, 32, ..., 1 rows, so a put
// of 500 rows is a dozen round trips and seven statement texts (prepared statements are
// cached per text). Writes go through MultiRowStatement.
constexpr size_t kMaxChunk = 64;

void ForEachChunk(size_t total, const std::function<void(size_t begin, size_t count)>& fn) {
  size_t done = 0;
  while (done < total) {
    size_t chunk = kMaxChunk;
    while (chunk > total - done) chunk /= 2;
    fn(done, chunk);
    done += chunk;
  }
}

// `text` repeated `count` times, joined by `separator`.
std::string Repeat(const std::string& text, size_t count, const char* separator) {
  return absl::StrJoin(std::vector<std::string>(count, text), separator);
}

const Codec<int>& StoredCodec() {
  static const Codec<int> codec{[](const int& stored) {
                                  return nlohmann::json{{"stored", stored}};
                                },
                                [](const nlohmann::json& j) { return j.at("stored").get<int>(); }};
  return codec;
}

// ---- inventory snapshots ----

using InventoryKey = std::pair<std::string, int>;  // product code, month

nlohmann::json InventoryJson(const InventoryRow& row) {
  return {{"product_code", row.product_code},
          {"month", MonthLabel(row.month)},
          {"value_minor", row.value_minor},
          {"quantity", row.quantity}};
}

// The stored snapshots of `rows`, locked until the transaction ends (their audit "before").
std::map<InventoryKey, nlohmann::json> LockInventory(DbConnection& db,
                                                     const std::vector<InventoryRow>& rows) {
  std::map<InventoryKey, nlohmann::json> stored;
  ForEachChunk(rows.size(), [&](size_t begin, size_t count) {
    const std::string query = absl::StrCat(
        "SELECT product_code, month, value_minor, quantity FROM inventory_snapshots "
        "WHERE ",
        Repeat("(product_code = ? AND month = ?)", count, " OR "), " FOR UPDATE");
    std::vector<SqlParam> params;
    for (size_t i = begin; i < begin + count; ++i) {
      params.insert(params.end(), {rows[i].product_code, int64_t{rows[i].month}});
    }
    sql::PreparedStatement& select = db.Prepare(query);
    BindAll(select, params);
    std::unique_ptr<sql::ResultSet> found(select.executeQuery());
    while (found->next()) {
      const InventoryRow row{found->getString("product_code"), found->getInt("month"),
                             found->getInt64("value_minor"), found->getInt64("quantity")};
      stored[{row.product_code, row.month}] = InventoryJson(row);
    }
  });
  return stored;
}

void UpsertInventory(DbConnection& db, const std::vector<InventoryRow>& rows, absl::Time now) {
  static const MultiRowStatement upsert(
      "INSERT INTO inventory_snapshots (product_code, month, value_minor, quantity, updated_at)", 5,
      "ON DUPLICATE KEY UPDATE value_minor = VALUES(value_minor), "
      "quantity = VALUES(quantity), updated_at = VALUES(updated_at)");
  std::vector<SqlParam> params;
  for (const InventoryRow& r : rows) {
    params.insert(params.end(), {r.product_code, int64_t{r.month}, r.value_minor, r.quantity, now});
  }
  upsert.Run(db, params);
}

// ---- account targets ----

using TargetKey = std::pair<int64_t, int>;  // account, year

nlohmann::json TargetJson(const TargetRow& row) {
  return {{"account_id", row.account_id},
          {"year", row.year},
          {"expected_share_bp", row.expected_share_bp},
          {"wallet_estimate_minor", row.wallet_estimate_minor},
          {"industry_influence", row.industry_influence}};
}

std::map<TargetKey, nlohmann::json> LockTargets(DbConnection& db,
                                                const std::vector<TargetRow>& rows) {
  std::map<TargetKey, nlohmann::json> stored;
  ForEachChunk(rows.size(), [&](size_t begin, size_t count) {
    const std::string query = absl::StrCat(
        "SELECT account_id, year, expected_share_bp, wallet_estimate_minor, industry_influence "
        "FROM account_targets WHERE ",
        Repeat("(account_id = ? AND year = ?)", count, " OR "), " FOR UPDATE");
    std::vector<SqlParam> params;
    for (size_t i = begin; i < begin + count; ++i) {
      params.insert(params.end(), {rows[i].account_id, int64_t{rows[i].year}});
    }
    sql::PreparedStatement& select = db.Prepare(query);
    BindAll(select, params);
    std::unique_ptr<sql::ResultSet> found(select.executeQuery());
    while (found->next()) {
      const TargetRow row{
          found->getInt64("account_id"), found->getInt("year"), found->getInt("expected_share_bp"),
          found->getInt64("wallet_estimate_minor"), found->getInt("industry_influence")};
      stored[{row.account_id, row.year}] = TargetJson(row);
    }
  });
  return stored;
}

void UpsertTargets(DbConnection& db, const std::vector<TargetRow>& rows, absl::Time now) {
  static const MultiRowStatement upsert(
      "INSERT INTO account_targets (account_id, year, expected_share_bp, "
      "wallet_estimate_minor, industry_influence, updated_at)",
      6,
      "ON DUPLICATE KEY UPDATE expected_share_bp = VALUES(expected_share_bp), "
      "wallet_estimate_minor = VALUES(wallet_estimate_minor), "
      "industry_influence = VALUES(industry_influence), updated_at = VALUES(updated_at)");
  std::vector<SqlParam> params;
  for (const TargetRow& r : rows) {
    params.insert(params.end(), {r.account_id, int64_t{r.year}, int64_t{r.expected_share_bp},
                                 r.wallet_estimate_minor, int64_t{r.industry_influence}, now});
  }
  upsert.Run(db, params);
}

nlohmann::json Before(const std::map<InventoryKey, nlohmann::json>& stored,
                      const InventoryKey& key) {
  auto found = stored.find(key);
  return found == stored.end() ? nlohmann::json() : found->second;
}
nlohmann::json Before(const std::map<TargetKey, nlohmann::json>& stored, const TargetKey& key) {
  auto found = stored.find(key);
  return found == stored.end() ? nlohmann::json() : found->second;
}

}  // namespace

// Rows are written in key order, so two puts over the same keys lock them in the same order
// (no deadlock between them). Audit rows and events come last: writing an event takes the
// outbox lock, which serialises event writers until commit.
absl::StatusOr<int> InputsStore::PutInventory(const Mutation& m,
                                              const std::vector<InventoryRow>& rows) {
  std::vector<InventoryRow> sorted = rows;
  std::sort(sorted.begin(), sorted.end(), [](const InventoryRow& a, const InventoryRow& b) {
    return std::tie(a.product_code, a.month) < std::tie(b.product_code, b.month);
  });
  return RunIdempotent<int>(
      pool_, m, "PutInventorySnapshots", StoredCodec(),
      [&](DbConnection& db) -> absl::StatusOr<int> {
        const std::map<InventoryKey, nlohmann::json> before = LockInventory(db, sorted);
        UpsertInventory(db, sorted, m.now);
        for (const InventoryRow& row : sorted) {
          Record(db, m, kInventoryType, "put", row.product_code,
                 Before(before, {row.product_code, row.month}), InventoryJson(row));
        }
        return static_cast<int>(sorted.size());
      });
}

absl::StatusOr<int> InputsStore::PutTargets(const Mutation& m, const std::vector<TargetRow>& rows) {
  std::vector<TargetRow> sorted = rows;
  std::sort(sorted.begin(), sorted.end(), [](const TargetRow& a, const TargetRow& b) {
    return std::tie(a.account_id, a.year) < std::tie(b.account_id, b.year);
  });
  return RunIdempotent<int>(
      pool_, m, "PutAccountTargets", StoredCodec(), [&](DbConnection& db) -> absl::StatusOr<int> {
        const std::map<TargetKey, nlohmann::json> before = LockTargets(db, sorted);
        UpsertTargets(db, sorted, m.now);
        for (const TargetRow& row : sorted) {
          Record(db, m, kTargetType, "put", absl::StrCat(row.account_id, "/", row.year),
                 Before(before, {row.account_id, row.year}), TargetJson(row));
        }
        return static_cast<int>(sorted.size());
      });
}

absl::StatusOr<int64_t> InputsStore::Revision() {
  int64_t revision = 0;
  absl::Status status = WithConnection(pool_, "InputsRevision", [&](DbConnection& db) {
    std::unique_ptr<sql::ResultSet> row(db.Prepare(kRevision).executeQuery());
    if (row->next()) revision = row->getInt64("events");
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return revision;
}

}  // namespace kam::analytics
