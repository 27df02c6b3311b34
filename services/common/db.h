#pragma once

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/settings.h"

namespace prometheus {
class Registry;
}

namespace kam {

class DbPool;

// One connection borrowed from the pool; returned on destruction, or dropped if it broke.
// Prepared statements are cached per connection, so a hot query is prepared once.
class DbConnection {
 public:
  DbConnection(DbConnection&& other) noexcept;
  DbConnection& operator=(DbConnection&&) = delete;
  ~DbConnection();

  // A cached prepared statement with its parameters cleared.
  sql::PreparedStatement& Prepare(const std::string& sql);
  sql::Connection& raw() { return *connection_; }
  // The connection is no longer trustworthy (lost, or mid-transaction after an error).
  void MarkBroken() { broken_ = true; }

 private:
  friend class DbPool;
  struct Slot {
    std::unique_ptr<sql::Connection> connection;
    std::map<std::string, std::unique_ptr<sql::PreparedStatement>> statements;
  };
  DbConnection(DbPool* pool, std::unique_ptr<Slot> slot);

  DbPool* pool_;
  std::unique_ptr<Slot> slot_;
  sql::Connection* connection_;
  bool broken_ = false;
};

// A bounded pool of MySQL/MariaDB connections (utf8mb4, UTC, READ COMMITTED). Connections
// are opened lazily and replaced after they break, so the pool recovers by itself when the
// database comes back after a restart.
class DbPool {
 public:
  // Does not connect: a database that is down at start-up only makes calls UNAVAILABLE.
  DbPool(DbSettings settings, prometheus::Registry* registry);
  ~DbPool();

  // Borrows a connection. UNAVAILABLE when none frees up within pool_wait or the database
  // cannot be reached.
  absl::StatusOr<DbConnection> Acquire();

  // Opens one connection to tell why the database cannot be used: UNAVAILABLE when it cannot
  // be reached, FAILED_PRECONDITION naming the setting when it refuses the login or has no
  // such schema (start-up waits out the first, and stops at once on the second).
  absl::Status CheckSettings();

  // Whether the database answers, on a connection kept apart from the pool so that a busy
  // pool does not read as a dead database.
  bool Reachable();

  const DbSettings& settings() const { return settings_; }

 private:
  friend class DbConnection;
  struct Metrics;
  absl::StatusOr<std::unique_ptr<sql::Connection>> Connect();
  void Release(std::unique_ptr<DbConnection::Slot> slot, bool broken);

  DbSettings settings_;
  std::unique_ptr<Metrics> metrics_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<DbConnection::Slot>> idle_;
  int open_ = 0;
  std::mutex probe_mutex_;
  std::unique_ptr<sql::Connection> probe_;
};

// The one mapping from SQL errors to status codes. Details are logged with `context`; the
// returned message never contains SQL or server text.
absl::Status MapSqlError(const sql::SQLException& e, std::string_view context);

// Whether `e` means the connection itself is gone (so it must not be reused).
bool IsConnectionError(const sql::SQLException& e);

// Runs `body` on a pooled connection outside any transaction (single reads).
absl::Status WithConnection(DbPool& pool, std::string_view context,
                            const std::function<absl::Status(DbConnection&)>& body);

// Runs `body` in a transaction: commits when it returns OK, rolls back otherwise, and
// retries the whole body (up to 3 attempts) after a deadlock or lock-wait timeout. SQL
// exceptions thrown by `body` are mapped with MapSqlError.
absl::Status InTransaction(DbPool& pool, std::string_view context,
                           const std::function<absl::Status(DbConnection&)>& body);

// Parameter binding for prepared statements, by C++ type.
struct SqlNull {};
using SqlParam = std::variant<SqlNull, int64_t, std::string, bool, absl::Time>;
void BindAll(sql::PreparedStatement& stmt, const std::vector<SqlParam>& params);

// DATETIME(6) columns hold UTC; these convert in both directions.
std::string ToSqlTime(absl::Time t);
absl::Time FromSqlTime(const std::string& text);

}  // namespace kam
