#include "services/common/db.h"

#include <cppconn/driver.h>
#include <cppconn/statement.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace kam {
namespace {

// MySQL/MariaDB error numbers this file decides on.
constexpr int kDuplicateEntry = 1062;
constexpr int kLockWaitTimeout = 1205;
constexpr int kDeadlock = 1213;
constexpr int kDataTooLong = 1406;
constexpr int kForeignKeyParent = 1452;
constexpr int kServerShutdown = 1053;
constexpr int kConnectionKilled = 1927;
// The server cannot serve this right now, but may soon: read-only after a failover, a
// query killed by an operator, a statement over max_statement_time.
constexpr int kTransientServerErrors[] = {1290, 1792, 1836, 1317, 1969};
constexpr int kMaxAttempts = 3;

// Why a connection could not be opened, naming the setting an operator has to fix.
absl::Status ConnectError(int code) {
  switch (code) {
    case 1044:  // access denied to the schema
    case 1045:  // access denied for the user
    case 1698:
      return absl::FailedPreconditionError(
          "the database refused the login: check --db-user (KAM_DB_USER) and --db-password "
          "(KAM_DB_PASSWORD or KAM_DB_PASSWORD_FILE)");
    case 1049:
      return absl::FailedPreconditionError(
          "the database has no schema named by --db-name (KAM_DB_NAME)");
    default:
      return absl::UnavailableError("database unavailable");
  }
}

bool IsRetryableConflict(const sql::SQLException& e) {
  return e.getErrorCode() == kDeadlock || e.getErrorCode() == kLockWaitTimeout;
}

void Execute(sql::Connection& connection, const char* statement) {
  std::unique_ptr<sql::Statement> stmt(connection.createStatement());
  stmt->execute(statement);
}

// Ends the open transaction so the connection can return to the pool; one that cannot roll
// back is dropped instead, and the server rolls back when its session ends.
void RollBackOrDrop(DbConnection& db) {
  try {
    Execute(db.raw(), "ROLLBACK");
  } catch (const sql::SQLException&) {
    db.MarkBroken();
  }
}

}  // namespace

struct DbPool::Metrics {
  explicit Metrics(prometheus::Registry& registry)
      : connections(prometheus::BuildGauge()
                        .Name("kam_db_pool_connections")
                        .Help("Database connections held by the pool, by state")
                        .Register(registry)),
        in_use(connections.Add({{"state", "in_use"}})),
        idle(connections.Add({{"state", "idle"}})),
        wait_timeouts(prometheus::BuildCounter()
                          .Name("kam_db_pool_wait_timeouts_total")
                          .Help("Calls that found no free connection within the pool wait")
                          .Register(registry)
                          .Add({})),
        connect_failures(prometheus::BuildCounter()
                             .Name("kam_db_connect_failures_total")
                             .Help("Failed attempts to open a database connection")
                             .Register(registry)
                             .Add({})) {}
  prometheus::Family<prometheus::Gauge>& connections;
  prometheus::Gauge& in_use;
  prometheus::Gauge& idle;
  prometheus::Counter& wait_timeouts;
  prometheus::Counter& connect_failures;
};

DbConnection::DbConnection(DbPool* pool, std::unique_ptr<Slot> slot)
    : pool_(pool), slot_(std::move(slot)), connection_(slot_->connection.get()) {}

DbConnection::DbConnection(DbConnection&& other) noexcept
    : pool_(other.pool_),
      slot_(std::move(other.slot_)),
      connection_(other.connection_),
      broken_(other.broken_) {}

DbConnection::~DbConnection() {
  if (slot_) pool_->Release(std::move(slot_), broken_);
}

sql::PreparedStatement& DbConnection::Prepare(const std::string& sql) {
  auto& cached = slot_->statements[sql];
  if (!cached) {
    cached.reset(connection_->prepareStatement(sql));
  } else {
    cached->clearParameters();
  }
  return *cached;
}

DbPool::DbPool(DbSettings settings, prometheus::Registry* registry)
    : settings_(std::move(settings)) {
  get_driver_instance();  // first use is not thread-safe, so it happens here
  static prometheus::Registry unused_registry;
  metrics_ = std::make_unique<Metrics>(registry ? *registry : unused_registry);
}

DbPool::~DbPool() = default;

absl::StatusOr<std::unique_ptr<sql::Connection>> DbPool::Connect() {
  sql::ConnectOptionsMap options;
  options["hostName"] = sql::SQLString(absl::StrCat("tcp://", settings_.host, ":", settings_.port));
  options["userName"] = sql::SQLString(settings_.user);
  options["password"] = sql::SQLString(settings_.password);
  options["schema"] = sql::SQLString(settings_.name);
  options["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  options["OPT_RECONNECT"] = false;  // a silent reconnect would lose transaction state
  const int io_seconds = std::max<int>(1, absl::ToInt64Seconds(settings_.io_timeout));
  options["OPT_CONNECT_TIMEOUT"] = std::min(io_seconds, 5);
  options["OPT_READ_TIMEOUT"] = io_seconds;
  options["OPT_WRITE_TIMEOUT"] = io_seconds;
  try {
    std::unique_ptr<sql::Connection> connection(get_driver_instance()->connect(options));
    Execute(*connection, "SET time_zone = '+00:00'");
    // A row lock waited on past the client's read timeout would look like a lost connection
    // and leave the server still waiting; end the wait first, as a retryable 1205.
    Execute(*connection, absl::StrCat("SET SESSION innodb_lock_wait_timeout = ",
                                      std::clamp(io_seconds / 2, 1, 50))
                             .c_str());
    Execute(*connection, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    Execute(*connection,
            "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
            "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'");
    return connection;
  } catch (const sql::SQLException& e) {
    metrics_->connect_failures.Increment();
    LogWarn("database connect failed", {{"code", e.getErrorCode()}, {"detail", e.what()}});
    return ConnectError(e.getErrorCode());
  }
}

absl::Status DbPool::CheckSettings() { return Connect().status(); }

absl::StatusOr<DbConnection> DbPool::Acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(settings_.pool_wait);
  while (idle_.empty() && open_ >= settings_.pool_size) {
    if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= settings_.pool_size) {
      metrics_->wait_timeouts.Increment();
      return absl::UnavailableError("database busy: no connection free in time");
    }
  }
  if (!idle_.empty()) {
    std::unique_ptr<DbConnection::Slot> slot = std::move(idle_.back());
    idle_.pop_back();
    metrics_->idle.Decrement();
    metrics_->in_use.Increment();
    return DbConnection(this, std::move(slot));
  }
  ++open_;
  lock.unlock();
  absl::StatusOr<std::unique_ptr<sql::Connection>> connection = Connect();
  if (!connection.ok()) {
    lock.lock();
    --open_;
    freed_.notify_one();
    // Callers see an outage, whatever its cause; the cause is in the log.
    return absl::UnavailableError("database unavailable");
  }
  metrics_->in_use.Increment();
  auto slot = std::make_unique<DbConnection::Slot>();
  slot->connection = *std::move(connection);
  return DbConnection(this, std::move(slot));
}

void DbPool::Release(std::unique_ptr<DbConnection::Slot> slot, bool broken) {
  std::vector<std::unique_ptr<DbConnection::Slot>> stale;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    metrics_->in_use.Decrement();
    if (broken) {
      // One lost connection usually means the server restarted: the idle ones are stale too.
      --open_;
      open_ -= static_cast<int>(idle_.size());
      metrics_->idle.Set(0);
      stale.swap(idle_);
    } else {
      idle_.push_back(std::move(slot));
      metrics_->idle.Increment();
    }
    freed_.notify_all();
  }
  // Closing a dead connection can block on the network; never under the lock.
  slot.reset();
  stale.clear();
}

bool DbPool::Reachable() {
  std::lock_guard<std::mutex> lock(probe_mutex_);
  try {
    if (!probe_) {
      absl::StatusOr<std::unique_ptr<sql::Connection>> connection = Connect();
      if (!connection.ok()) return false;
      probe_ = *std::move(connection);
    }
    // The result must be read and freed: one left pending puts the connection out of sync
    // (CR_COMMANDS_OUT_OF_SYNC), which failed every second probe and made readiness flap.
    std::unique_ptr<sql::Statement> stmt(probe_->createStatement());
    std::unique_ptr<sql::ResultSet> result(stmt->executeQuery("SELECT 1"));
    return result->next();
  } catch (const sql::SQLException&) {
    probe_.reset();
    return false;
  }
}

bool IsConnectionError(const sql::SQLException& e) {
  const int code = e.getErrorCode();
  // 2000-2099 are client-side errors (CR_*): lost, refused, gone away, timed out.
  return (code >= 2000 && code < 2100) || code == kServerShutdown || code == kConnectionKilled ||
         code == 4031 /* MySQL 8: disconnected by the server for inactivity */;
}

absl::Status MapSqlError(const sql::SQLException& e, std::string_view context) {
  const int code = e.getErrorCode();
  LogWarn("database error", {{"context", context}, {"code", code}, {"detail", e.what()}});
  if (IsConnectionError(e)) return absl::UnavailableError("database unavailable");
  for (int transient : kTransientServerErrors) {
    if (code == transient) return absl::UnavailableError("database temporarily unavailable");
  }
  switch (code) {
    case kDuplicateEntry:
      return absl::AlreadyExistsError("already exists");
    case kDeadlock:
    case kLockWaitTimeout:
      return absl::AbortedError("concurrent change, retry");
    case kForeignKeyParent:
      return absl::FailedPreconditionError("referenced record does not exist");
    case kDataTooLong:
      return absl::InvalidArgumentError("a value is too long");
    default:
      return absl::InternalError(absl::StrCat("sql error ", code, " in ", std::string(context)));
  }
}

absl::Status WithConnection(DbPool& pool, std::string_view context,
                            const std::function<absl::Status(DbConnection&)>& body) {
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<DbConnection> db = pool.Acquire();
    if (!db.ok()) return db.status();
    try {
      return body(*db);
    } catch (const sql::SQLException& e) {
      if (IsConnectionError(e)) db->MarkBroken();
      // A read on a connection that died while idle is safe to repeat on a fresh one.
      if (IsConnectionError(e) && attempt < 2) continue;
      return MapSqlError(e, context);
    }
  }
}

absl::Status InTransaction(DbPool& pool, std::string_view context,
                           const std::function<absl::Status(DbConnection&)>& body) {
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<DbConnection> db = pool.Acquire();
    if (!db.ok()) return db.status();
    try {
      Execute(db->raw(), "START TRANSACTION");
      absl::Status status = body(*db);
      Execute(db->raw(), status.ok() ? "COMMIT" : "ROLLBACK");
      return status;
    } catch (const sql::SQLException& e) {
      if (IsConnectionError(e)) {
        db->MarkBroken();
      } else {
        RollBackOrDrop(*db);
      }
      // Repeating is safe: mutating bodies claim their request_id in the same transaction,
      // so a commit that did land before the connection broke is found, not redone.
      const bool retry = IsRetryableConflict(e) || (IsConnectionError(e) && attempt == 1);
      if (retry && attempt < kMaxAttempts) continue;
      return MapSqlError(e, context);
    } catch (const std::exception& e) {
      // A bug in the body. Never pool a connection mid-transaction: the next caller's
      // START TRANSACTION would commit this body's half-done writes.
      RollBackOrDrop(*db);
      return absl::InternalError(
          absl::StrCat("unexpected exception in ", std::string(context), ": ", e.what()));
    }
  }
}

void BindAll(sql::PreparedStatement& stmt, const std::vector<SqlParam>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    const auto index = static_cast<unsigned int>(i + 1);
    std::visit(
        [&](const auto& value) {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, SqlNull>) {
            stmt.setNull(index, sql::DataType::VARCHAR);
          } else if constexpr (std::is_same_v<T, int64_t>) {
            stmt.setInt64(index, value);
          } else if constexpr (std::is_same_v<T, std::string>) {
            stmt.setString(index, value);
          } else if constexpr (std::is_same_v<T, bool>) {
            stmt.setBoolean(index, value);
          } else {
            stmt.setDateTime(index, ToSqlTime(value));
          }
        },
        params[i]);
  }
}

std::string ToSqlTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S", t, absl::UTCTimeZone());
}

absl::Time FromSqlTime(const std::string& text) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%d %H:%M:%E*S", text, absl::UTCTimeZone(), &t, &error)) {
    return absl::InfinitePast();
  }
  return t;
}

}  // namespace kam
