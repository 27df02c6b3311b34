#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/common/db.h"

namespace kam {

// One forward-only schema change, from services/<svc>/migrations/NNNN_name.sql.
struct Migration {
  int version = 0;
  std::string name;
  std::string sql;
};

// SHA-256 of the file's text, hex; what schema_migrations remembers.
std::string MigrationChecksum(const Migration& migration);

// Brings the schema up to date. Runs under a database-wide named lock, so replicas starting
// together apply each migration once; already-applied versions are skipped; an applied
// version whose checksum changed is FAILED_PRECONDITION naming the file, and nothing runs.
// Statements in one file are separated by ';' at the end of a line.
absl::Status ApplyMigrations(DbPool& pool, const std::vector<Migration>& migrations);

// ApplyMigrations, waiting up to `wait` for a database that is still starting (replicas and
// the database often start together). Errors other than UNAVAILABLE end the wait at once.
// `stop_requested`, polled between attempts, ends the wait early (CANCELLED).
absl::Status PrepareSchema(DbPool& pool, const std::vector<Migration>& migrations,
                           absl::Duration wait = absl::Seconds(60),
                           const std::function<bool()>& stop_requested = nullptr);

}  // namespace kam
