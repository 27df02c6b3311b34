#include "services/common/migrations.h"

#include <cppconn/statement.h>
#include <openssl/sha.h>

#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "services/common/log.h"

namespace kam {
namespace {

constexpr char kCreateTable[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT NOT NULL PRIMARY KEY,"
    " name VARCHAR(200) NOT NULL,"
    " checksum CHAR(64) NOT NULL,"
    " applied_at DATETIME(6) NOT NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
constexpr char kSelectApplied[] = "SELECT version, name, checksum FROM schema_migrations";
constexpr char kInsertApplied[] =
    "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
    "VALUES (?, ?, ?, UTC_TIMESTAMP(6))";
// Held across the whole run; the name is per schema, so services never wait on each other.
constexpr char kGetLock[] = "SELECT GET_LOCK(CONCAT('kam_migrations.', DATABASE()), 60)";
constexpr char kReleaseLock[] = "SELECT RELEASE_LOCK(CONCAT('kam_migrations.', DATABASE()))";

std::string FileName(const Migration& m) {
  return absl::StrCat(absl::Dec(m.version, absl::kZeroPad4), "_", m.name, ".sql");
}

// Statements end with ';' at the end of a line; blank and "--" comment lines are dropped.
std::vector<std::string> SplitStatements(const std::string& sql) {
  std::vector<std::string> statements;
  std::string current;
  for (absl::string_view line : absl::StrSplit(sql, '\n')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || absl::StartsWith(trimmed, "--")) continue;
    absl::StrAppend(&current, line, "\n");
    if (absl::EndsWith(trimmed, ";")) {
      statements.push_back(current);
      current.clear();
    }
  }
  if (!absl::StripAsciiWhitespace(current).empty()) statements.push_back(current);
  return statements;
}

struct Applied {
  std::string name;
  std::string checksum;
};

std::map<int, Applied> ReadApplied(DbConnection& db) {
  std::map<int, Applied> applied;
  std::unique_ptr<sql::ResultSet> rows(db.Prepare(kSelectApplied).executeQuery());
  while (rows->next()) {
    applied[rows->getInt("version")] = {rows->getString("name"), rows->getString("checksum")};
  }
  return applied;
}

absl::Status ApplyOne(DbConnection& db, const Migration& migration) {
  std::unique_ptr<sql::Statement> stmt(db.raw().createStatement());
  for (const std::string& statement : SplitStatements(migration.sql)) {
    stmt->execute(statement);
  }
  sql::PreparedStatement& insert = db.Prepare(kInsertApplied);
  BindAll(insert, {int64_t{migration.version}, migration.name, MigrationChecksum(migration)});
  insert.executeUpdate();
  LogInfo("migration applied", {{"file", FileName(migration)}});
  return absl::OkStatus();
}

absl::Status ApplyLocked(DbConnection& db, const std::vector<Migration>& migrations) {
  std::unique_ptr<sql::Statement> stmt(db.raw().createStatement());
  stmt->execute(kCreateTable);
  const std::map<int, Applied> applied = ReadApplied(db);
  // Check every applied file before changing anything.
  for (const Migration& migration : migrations) {
    auto it = applied.find(migration.version);
    if (it != applied.end() && it->second.checksum != MigrationChecksum(migration)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "migration ", FileName(migration),
          " was changed after it was applied (checksum differs); add a new migration instead"));
    }
  }
  for (const Migration& migration : migrations) {
    if (applied.count(migration.version) == 0) {
      if (absl::Status status = ApplyOne(db, migration); !status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string MigrationChecksum(const Migration& migration) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(migration.sql.data()), migration.sql.size(),
         digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::Status ApplyMigrations(DbPool& pool, const std::vector<Migration>& migrations) {
  absl::StatusOr<DbConnection> db = pool.Acquire();
  if (!db.ok()) return db.status();
  try {
    std::unique_ptr<sql::Statement> stmt(db->raw().createStatement());
    std::unique_ptr<sql::ResultSet> locked(stmt->executeQuery(kGetLock));
    if (!locked->next() || locked->getInt(1) != 1) {
      return absl::UnavailableError("timed out waiting for the migration lock");
    }
    absl::Status status = ApplyLocked(*db, migrations);
    std::unique_ptr<sql::ResultSet> released(stmt->executeQuery(kReleaseLock));
    return status;
  } catch (const sql::SQLException& e) {
    db->MarkBroken();  // drops the session, and the named lock with it
    LogError("migration failed", {{"code", e.getErrorCode()}, {"detail", e.what()}});
    // Lost mid-way: PrepareSchema waits for the database and tries again.
    if (IsConnectionError(e)) return absl::UnavailableError("database unavailable");
    return absl::InternalError(absl::StrCat("migration failed: ", e.what()));
  }
}

absl::Status PrepareSchema(DbPool& pool, const std::vector<Migration>& migrations,
                           absl::Duration wait, const std::function<bool()>& stop_requested) {
  const absl::Time give_up = absl::Now() + wait;
  for (;;) {
    absl::Status status = pool.CheckSettings();
    if (status.ok()) status = ApplyMigrations(pool, migrations);
    if (!absl::IsUnavailable(status) || absl::Now() > give_up) return status;
    if (stop_requested && stop_requested()) {
      return absl::CancelledError("stopped while waiting for the database");
    }
    LogWarn("database not reachable yet, retrying migrations");
    absl::SleepFor(absl::Seconds(1));
  }
}

}  // namespace kam
