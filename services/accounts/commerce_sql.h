#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/accounts/store_support.h"
#include "services/common/status.h"

// SQL helpers shared by the commerce store files (commerce_store.cc, commerce_sales_store.cc).
namespace kam::accounts::commerce_sql {

inline constexpr int kDuplicateEntry = 1062;

inline std::string Select(const char* columns, const std::string& from_and_rest) {
  return absl::StrCat("SELECT ", columns, " FROM ", from_and_rest);
}

inline int64_t OptionalId(const sql::ResultSet& row, const char* column) {
  return row.isNull(column) ? 0 : row.getInt64(column);
}

// SUM() of BIGINT is DECIMAL: parsed here so that a total beyond int64 is an error naming
// the field instead of a wrapped number.
inline absl::StatusOr<int64_t> SumColumn(const sql::ResultSet& row, const char* column,
                                         std::string_view field) {
  if (row.isNull(column)) return 0;
  int64_t value = 0;
  if (!absl::SimpleAtoi(std::string(row.getString(column)), &value)) {
    return InvalidField(field, "the total exceeds the largest amount that can be kept");
  }
  return value;
}

inline bool Exists(DbConnection& db, const char* query, const std::vector<SqlParam>& params) {
  sql::PreparedStatement& select = db.Prepare(query);
  BindAll(select, params);
  std::unique_ptr<sql::ResultSet> row(select.executeQuery());
  return row->next();
}

// Reads every row of `query` with `read`.
template <typename T>
std::vector<T> ReadAll(DbConnection& db, const std::string& query,
                       const std::vector<SqlParam>& params, T (*read)(const sql::ResultSet&)) {
  sql::PreparedStatement& select = db.Prepare(query);
  BindAll(select, params);
  std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
  std::vector<T> items;
  while (rows->next()) items.push_back(read(*rows));
  return items;
}

}  // namespace kam::accounts::commerce_sql
