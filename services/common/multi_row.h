#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "services/common/db.h"

// Multi-row INSERTs over any number of rows with few statement texts: rows are cut greedily
// into statements of 256, 64, 16, 4 and 1 rows, so each statement has at most five texts
// (prepared once per connection) and n rows take about n/256 + 4 round trips.
namespace kam {

// "(?, ?, ...)" with `n` placeholders.
std::string Placeholders(size_t n);

// "<head> VALUES (?, ...), (?, ...) <tail>" run over any number of rows.
class MultiRowStatement {
 public:
  MultiRowStatement(const std::string& head, size_t columns, const std::string& tail);

  // Runs the statement over `params`: `columns` values per row, rows in order.
  void Run(DbConnection& db, const std::vector<SqlParam>& params) const;

 private:
  size_t columns_;
  std::vector<std::string> texts_;
};

}  // namespace kam
