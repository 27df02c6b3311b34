// The database layer every service stands on (services/common/db.h, migrations.h), against
// a private MariaDB: pooling, recovery after a restart, transactions, error mapping,
// migrations and character set.
#include "services/common/db.h"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/migrations.h"
#include "tests/support/mariadb_server.h"
#include "tests/support/test_helpers.h"

namespace kam {
namespace {

using test_support::MariaDbServer;
using test_support::Ok;
using test_support::RunConcurrently;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kPoolWait = absl::Milliseconds(500);

MariaDbServer* g_server = nullptr;

// One server for the whole binary; every test gets its own schema and user on it.
class ServerEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<MariaDbServer>> server = MariaDbServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    g_server = server_.get();
  }
  void TearDown() override {
    g_server = nullptr;
    server_.reset();
  }

 private:
  std::unique_ptr<MariaDbServer> server_;
};
[[maybe_unused]] ::testing::Environment* const kServerEnvironment =
    ::testing::AddGlobalTestEnvironment(new ServerEnvironment);

// Executes one statement that returns no rows; SQL errors propagate as exceptions, as they
// do from store code.
void Execute(DbConnection& db, const std::string& sql, const std::vector<SqlParam>& params = {}) {
  sql::PreparedStatement& stmt = db.Prepare(sql);
  BindAll(stmt, params);
  stmt.execute();
}

absl::Status Exec(DbPool& pool, const std::string& sql, const std::vector<SqlParam>& params = {}) {
  return WithConnection(pool, "test.exec", [&](DbConnection& db) {
    Execute(db, sql, params);
    return absl::OkStatus();
  });
}

absl::Status InsertInTransaction(DbPool& pool, int64_t id) {
  return InTransaction(pool, "test.insert", [&](DbConnection& db) {
    Execute(db, "INSERT INTO items (id) VALUES (?)", {id});
    return absl::OkStatus();
  });
}

// First column of the first row.
std::string ScalarOn(DbConnection& db, const std::string& sql,
                     const std::vector<SqlParam>& params = {}) {
  sql::PreparedStatement& stmt = db.Prepare(sql);
  BindAll(stmt, params);
  std::unique_ptr<sql::ResultSet> rows(stmt.executeQuery());
  return rows->next() ? std::string(rows->getString(1)) : "<no row>";
}

absl::StatusOr<std::string> Scalar(DbPool& pool, const std::string& sql,
                                   const std::vector<SqlParam>& params = {}) {
  std::string value;
  absl::Status status = WithConnection(pool, "test.scalar", [&](DbConnection& db) {
    value = ScalarOn(db, sql, params);
    return absl::OkStatus();
  });
  if (!status.ok()) {
    return status;
  }
  return value;
}

// Polls `done` every 100 ms until it holds or `limit` passes.
bool Eventually(absl::Duration limit, const std::function<bool()>& done) {
  const absl::Time give_up = absl::Now() + limit;
  while (!done()) {
    if (absl::Now() > give_up) {
      return false;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return true;
}

class DbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(g_server, nullptr) << "the private MariaDB did not start";
    static int next_schema = 0;
    schema_ = absl::StrCat("db_test_", ++next_schema);
    ASSERT_TRUE(Ok(g_server->CreateSchemaWithUser(schema_, schema_, "pw'" + schema_)));
    pool_ = NewPool(4);
    ASSERT_TRUE(Ok(Exec(*pool_, "CREATE TABLE items (id BIGINT PRIMARY KEY)")));
  }

  std::unique_ptr<DbPool> NewPool(int size) const {
    DbSettings settings;
    settings.host = g_server->host();
    settings.port = g_server->port();
    settings.user = schema_;
    settings.password = "pw'" + schema_;
    settings.name = schema_;
    settings.pool_size = size;
    settings.pool_wait = kPoolWait;
    settings.io_timeout = absl::Seconds(2);
    return std::make_unique<DbPool>(std::move(settings), nullptr);
  }

  // Rows as the `mariadb` client prints them (tab-separated lines), read as root.
  std::string Root(const std::string& sql) const {
    absl::StatusOr<std::string> rows =
        g_server->QueryAsRoot(absl::StrCat("USE ", schema_, "; ", sql));
    EXPECT_TRUE(Ok(rows)) << sql;
    return rows.ok() ? *rows : "<error>";
  }

  std::string Items() const { return Root("SELECT id FROM items ORDER BY id"); }

  // The pool serves, loses the server (via `take_down`), answers UNAVAILABLE meanwhile,
  // and serves again once it is back, without being recreated.
  void ExpectRecoveryAfter(const std::function<absl::Status()>& take_down);

  std::string schema_;
  std::unique_ptr<DbPool> pool_;
};

// --- pool -------------------------------------------------------------------------------

TEST_F(DbTest, PoolRunsQueriesAndReusesAReleasedConnection) {
  ASSERT_TRUE(Ok(InsertInTransaction(*pool_, 7)));
  EXPECT_EQ(*Scalar(*pool_, "SELECT COUNT(*) FROM items WHERE id = ?", {int64_t{7}}), "1");

  std::unique_ptr<DbPool> pool = NewPool(2);
  std::string first_session;
  {
    absl::StatusOr<DbConnection> db = pool->Acquire();
    ASSERT_TRUE(Ok(db));
    first_session = ScalarOn(*db, "SELECT CONNECTION_ID()");
  }
  absl::StatusOr<DbConnection> again = pool->Acquire();
  ASSERT_TRUE(Ok(again));
  EXPECT_EQ(ScalarOn(*again, "SELECT CONNECTION_ID()"), first_session)
      << "a released connection should be reused, not reopened";
}

TEST_F(DbTest, ExhaustedPoolAnswersUnavailableAfterPoolWait) {
  std::unique_ptr<DbPool> pool = NewPool(2);
  absl::StatusOr<DbConnection> a = pool->Acquire();
  absl::StatusOr<DbConnection> b = pool->Acquire();
  ASSERT_TRUE(Ok(a));
  ASSERT_TRUE(Ok(b));

  const absl::Time start = absl::Now();
  absl::StatusOr<DbConnection> third = pool->Acquire();
  const absl::Duration waited = absl::Now() - start;
  EXPECT_TRUE(absl::IsUnavailable(third.status())) << third.status();
  EXPECT_GE(waited, kPoolWait - absl::Milliseconds(50));
  EXPECT_LT(waited, kPoolWait + absl::Seconds(1));
}

TEST_F(DbTest, WaiterGetsTheConnectionReleasedWhileItWaits) {
  std::unique_ptr<DbPool> pool = NewPool(2);
  absl::StatusOr<DbConnection> a = pool->Acquire();
  std::optional<absl::StatusOr<DbConnection>> b(pool->Acquire());
  ASSERT_TRUE(Ok(a));
  ASSERT_TRUE(Ok(*b));
  const std::string released_session = ScalarOn(**b, "SELECT CONNECTION_ID()");

  std::thread releaser([&] {
    absl::SleepFor(kPoolWait / 4);
    b.reset();
  });
  absl::StatusOr<DbConnection> third = pool->Acquire();
  releaser.join();
  ASSERT_TRUE(Ok(third));
  EXPECT_EQ(ScalarOn(*third, "SELECT CONNECTION_ID()"), released_session);
}

// --- recovery after the database restarts -------------------------------------------------

void DbTest::ExpectRecoveryAfter(const std::function<absl::Status()>& take_down) {
  ASSERT_TRUE(Ok(InsertInTransaction(*pool_, 1)));
  {
    // Two idle connections that the restart will leave dead in the pool.
    absl::StatusOr<DbConnection> a = pool_->Acquire();
    absl::StatusOr<DbConnection> b = pool_->Acquire();
    ASSERT_TRUE(Ok(a));
    ASSERT_TRUE(Ok(b));
  }
  ASSERT_TRUE(pool_->Reachable());

  ASSERT_TRUE(Ok(take_down()));
  for (int round = 0; round < 3; ++round) {
    absl::StatusOr<std::string> read = Scalar(*pool_, "SELECT COUNT(*) FROM items");
    EXPECT_TRUE(absl::IsUnavailable(read.status())) << read.status();
    absl::Status write = InsertInTransaction(*pool_, 100 + round);
    EXPECT_TRUE(absl::IsUnavailable(write)) << write;
    EXPECT_FALSE(pool_->Reachable());
  }

  ASSERT_TRUE(Ok(g_server->StartAgain()));
  EXPECT_TRUE(Eventually(absl::Seconds(10), [&] { return Scalar(*pool_, "SELECT 1").ok(); }))
      << "the pool did not serve again after the database came back";
  EXPECT_TRUE(Ok(InsertInTransaction(*pool_, 2)));
  EXPECT_TRUE(pool_->Reachable());
  EXPECT_EQ(Items(), "1\n2\n") << "committed rows survive; writes while down never land";
}

TEST_F(DbTest, PoolRecoversAfterTheDatabaseCrashes) {
  ExpectRecoveryAfter([] { return g_server->Kill(); });
}

TEST_F(DbTest, PoolRecoversAfterTheDatabaseShutsDownCleanly) {
  ExpectRecoveryAfter([] { return g_server->Stop(); });
}

TEST_F(DbTest, FrozenDatabaseGivesUnavailableWithinTheIoTimeout) {
  ASSERT_TRUE(Ok(InsertInTransaction(*pool_, 1)));
  ASSERT_TRUE(Ok(g_server->Freeze()));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> read = Scalar(*pool_, "SELECT COUNT(*) FROM items");
  const absl::Duration waited = absl::Now() - start;
  const bool reachable = pool_->Reachable();
  ASSERT_TRUE(Ok(g_server->Thaw()));

  EXPECT_TRUE(absl::IsUnavailable(read.status())) << read.status();
  EXPECT_LT(waited, absl::Seconds(15)) << "a hung database must not hang the caller";
  EXPECT_FALSE(reachable);
  EXPECT_TRUE(Eventually(absl::Seconds(10), [&] { return Scalar(*pool_, "SELECT 1").ok(); }));
}

// --- transactions --------------------------------------------------------------------------

TEST_F(DbTest, TransactionCommitsWhenTheBodySucceeds) {
  ASSERT_TRUE(Ok(InsertInTransaction(*pool_, 1)));
  EXPECT_EQ(Items(), "1\n");
}

// Pool size 1 throughout: a transaction left open on the one connection would be committed
// by the next caller, so the row must be gone even after a later commit.
TEST_F(DbTest, TransactionRollsBackWhenTheBodyReturnsAnError) {
  std::unique_ptr<DbPool> pool = NewPool(1);
  absl::Status status = InTransaction(*pool, "test.refuse", [&](DbConnection& db) {
    Execute(db, "INSERT INTO items (id) VALUES (1)");
    return absl::FailedPreconditionError("rule says no");
  });
  EXPECT_EQ(status, absl::FailedPreconditionError("rule says no"));
  ASSERT_TRUE(Ok(InsertInTransaction(*pool, 2)));
  EXPECT_EQ(Items(), "2\n");
}

TEST_F(DbTest, TransactionRollsBackWhenTheBodyThrowsSqlException) {
  std::unique_ptr<DbPool> pool = NewPool(1);
  absl::Status status = InTransaction(*pool, "test.throw", [&](DbConnection& db) {
    Execute(db, "INSERT INTO items (id) VALUES (1)");
    Execute(db, "INSERT INTO no_such_table (id) VALUES (1)");
    return absl::OkStatus();
  });
  EXPECT_TRUE(absl::IsInternal(status)) << status;
  EXPECT_THAT(status.message(), Not(HasSubstr("no_such_table")));
  ASSERT_TRUE(Ok(InsertInTransaction(*pool, 2)));
  EXPECT_EQ(Items(), "2\n");
}

TEST_F(DbTest, TransactionRollsBackWhenTheBodyThrowsAnythingElse) {
  std::unique_ptr<DbPool> pool = NewPool(1);
  auto failing = [&](DbConnection& db) -> absl::Status {
    Execute(db, "INSERT INTO items (id) VALUES (1)");
    throw std::runtime_error("bug in a change function");
  };
  EXPECT_EQ(InTransaction(*pool, "test.bug", failing).code(), absl::StatusCode::kInternal);
  ASSERT_TRUE(Ok(InsertInTransaction(*pool, 2)));
  EXPECT_EQ(Items(), "2\n") << "the half-done transaction was committed by the next caller";
}

TEST_F(DbTest, DeadlockIsRetriedUntilBothTransactionsCommit) {
  ASSERT_TRUE(Ok(Exec(*pool_, "CREATE TABLE balances (id BIGINT PRIMARY KEY, n INT NOT NULL)")));
  ASSERT_TRUE(Ok(Exec(*pool_, "INSERT INTO balances VALUES (1, 0), (2, 0)")));
  std::atomic<int> attempts{0};
  absl::Notification holds_first_row[2];
  absl::Status results[2];
  // Thread 0 locks row 1 then 2, thread 1 row 2 then 1; each waits, on its first attempt,
  // until the other holds its first row, so the lock cycle is certain.
  RunConcurrently(2, [&](int me) {
    const int64_t first = me + 1;
    const int64_t second = 2 - me;
    bool first_attempt = true;
    results[me] = InTransaction(*pool_, "test.deadlock", [&](DbConnection& db) {
      ++attempts;
      Execute(db, "UPDATE balances SET n = n + 1 WHERE id = ?", {first});
      if (first_attempt) {
        first_attempt = false;
        holds_first_row[me].Notify();
        holds_first_row[1 - me].WaitForNotificationWithTimeout(absl::Seconds(10));
      }
      Execute(db, "UPDATE balances SET n = n + 1 WHERE id = ?", {second});
      return absl::OkStatus();
    });
  });
  EXPECT_TRUE(Ok(results[0]));
  EXPECT_TRUE(Ok(results[1]));
  EXPECT_EQ(attempts.load(), 3) << "exactly one deadlock victim, retried once";
  EXPECT_EQ(Root("SELECT id, n FROM balances ORDER BY id"), "1\t2\n2\t2\n");
}

TEST_F(DbTest, SqlErrorsMapToCodesWithoutSqlText) {
  ASSERT_TRUE(Ok(
      Exec(*pool_, "CREATE TABLE parents (id INT PRIMARY KEY, code VARCHAR(8) NOT NULL UNIQUE)")));
  ASSERT_TRUE(Ok(Exec(*pool_,
                      "CREATE TABLE children (id INT PRIMARY KEY, parent_id INT NOT NULL,"
                      " FOREIGN KEY (parent_id) REFERENCES parents (id))")));
  ASSERT_TRUE(Ok(Exec(*pool_, "INSERT INTO parents VALUES (1, 'secret1')")));
  const struct {
    const char* sql;
    absl::StatusCode code;
  } cases[] = {
      {"INSERT INTO parents VALUES (2, 'secret1')", absl::StatusCode::kAlreadyExists},
      {"INSERT INTO children VALUES (1, 777)", absl::StatusCode::kFailedPrecondition},
      {"INSERT INTO parents VALUES (3, 'secret-much-too-long')",
       absl::StatusCode::kInvalidArgument},
      {"UPDATE parents SET secret_column = 1", absl::StatusCode::kInternal},
  };
  for (const auto& c : cases) {
    absl::Status status = InTransaction(*pool_, "test.errors", [&](DbConnection& db) {
      Execute(db, c.sql);
      return absl::OkStatus();
    });
    EXPECT_EQ(status.code(), c.code) << c.sql << " gave " << status;
    for (const char* leak : {"secret", "parents", "children", "INSERT", "UPDATE", "Duplicate"}) {
      EXPECT_THAT(std::string(status.message()), Not(HasSubstr(leak))) << c.sql;
    }
  }
  EXPECT_EQ(Root("SELECT id FROM parents"), "1\n");
}

// --- migrations ----------------------------------------------------------------------------

// Comments, a statement over several lines, and a ';' inside a string mid-line.
const Migration kWidgets = {1, "create_widgets",
                            "-- widgets and their first rows\n"
                            "CREATE TABLE widgets (\n"
                            "  id INT PRIMARY KEY,\n"
                            "  label VARCHAR(40) NOT NULL\n"
                            ");\n"
                            "\n"
                            "INSERT INTO widgets VALUES (1, 'semi;colon inside');\n"
                            "INSERT INTO widgets VALUES (2, 'second');\n"};
// sha256sum of kWidgets.sql, computed outside the code under test.
constexpr char kWidgetsSha256[] =
    "a45de5209f84cf09b96227c16b1d29adef4f2c0b47cc25a4e9e49272b810e399";
const Migration kGadgets = {2, "add_gadgets", "CREATE TABLE gadgets (id INT PRIMARY KEY);\n"};

TEST_F(DbTest, MigrationsCreateTablesAndRecordChecksums) {
  ASSERT_TRUE(Ok(ApplyMigrations(*pool_, {kWidgets, kGadgets})));
  EXPECT_EQ(MigrationChecksum(kWidgets), kWidgetsSha256);
  EXPECT_EQ(Root("SELECT version, name, checksum FROM schema_migrations ORDER BY version"),
            absl::StrCat("1\tcreate_widgets\t", kWidgetsSha256, "\n", "2\tadd_gadgets\t",
                         MigrationChecksum(kGadgets), "\n"));
  EXPECT_EQ(Root("SELECT label FROM widgets ORDER BY id"), "semi;colon inside\nsecond\n");
  EXPECT_EQ(Root("SELECT COUNT(*) FROM gadgets"), "0\n");
}

TEST_F(DbTest, MigrationsRerunChangesNothing) {
  ASSERT_TRUE(Ok(ApplyMigrations(*pool_, {kWidgets, kGadgets})));
  const std::string applied = Root("SELECT * FROM schema_migrations ORDER BY version");
  absl::SleepFor(absl::Milliseconds(5));
  ASSERT_TRUE(Ok(ApplyMigrations(*pool_, {kWidgets, kGadgets})));
  EXPECT_EQ(Root("SELECT * FROM schema_migrations ORDER BY version"), applied);
  EXPECT_EQ(Root("SELECT COUNT(*) FROM widgets"), "2\n");
}

TEST_F(DbTest, ConcurrentMigratorsApplyEachMigrationOnce) {
  const std::vector<Migration> migrations = {
      {1, "create_starts",
       "CREATE TABLE starts (id INT AUTO_INCREMENT PRIMARY KEY);\n"
       "DO SLEEP(0.2);\n"},
      {2, "record_start", "INSERT INTO starts () VALUES ();\n"}};
  absl::Status results[4];
  RunConcurrently(4, [&](int i) {
    std::unique_ptr<DbPool> own_pool = NewPool(1);  // as separate replicas would
    results[i] = ApplyMigrations(*own_pool, migrations);
  });
  for (const absl::Status& status : results) {
    EXPECT_TRUE(Ok(status));
  }
  EXPECT_EQ(Root("SELECT COUNT(*) FROM starts"), "1\n");
  EXPECT_EQ(Root("SELECT version FROM schema_migrations ORDER BY version"), "1\n2\n");
}

Migration Edited(Migration migration) {
  migration.sql += "CREATE TABLE sneaky (id INT);\n";
  return migration;
}

TEST_F(DbTest, EditedMigrationIsRefusedAndNothingNewerRuns) {
  ASSERT_TRUE(Ok(ApplyMigrations(*pool_, {kWidgets})));
  absl::Status status = ApplyMigrations(*pool_, {Edited(kWidgets), kGadgets});
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("0001_create_widgets.sql"));
  EXPECT_EQ(Root("SHOW TABLES"), "items\nschema_migrations\nwidgets\n");
  EXPECT_EQ(Root("SELECT version FROM schema_migrations"), "1\n");
}

TEST_F(DbTest, PrepareSchemaGivesUpAtOnceOnAnEditedMigration) {
  ASSERT_TRUE(Ok(PrepareSchema(*pool_, {kWidgets}, absl::Seconds(30))));
  const absl::Time start = absl::Now();
  absl::Status status = PrepareSchema(*pool_, {Edited(kWidgets)}, absl::Seconds(30));
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(DbTest, WrongCredentialsStopTheStartAtOnceNamingTheSetting) {
  DbSettings settings;
  settings.host = g_server->host();
  settings.port = g_server->port();
  settings.user = schema_;
  settings.password = "not-the-password";
  settings.name = schema_;
  DbPool pool(settings, nullptr);
  const absl::Time start = absl::Now();
  absl::Status status = PrepareSchema(pool, {kWidgets}, absl::Seconds(30));
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("KAM_DB_PASSWORD"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  // A call at run time sees an outage, not the configuration.
  EXPECT_TRUE(absl::IsUnavailable(pool.Acquire().status()));
}

// --- character set -----------------------------------------------------------------------

TEST_F(DbTest, EmojiAndChineseRoundTripAsUtf8mb4) {
  const std::string text = "客户关系 😀🚀 ok";  // 10 code points, two of them 4-byte
  ASSERT_TRUE(Ok(Exec(*pool_,
                      "CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(10) NOT NULL) "
                      "DEFAULT CHARSET=utf8mb4")));
  ASSERT_TRUE(Ok(Exec(*pool_, "INSERT INTO notes VALUES (1, ?)", {text})));
  EXPECT_EQ(*Scalar(*pool_, "SELECT body FROM notes WHERE id = 1"), text);
  EXPECT_EQ(*Scalar(*pool_, "SELECT id FROM notes WHERE body = ?", {text}), "1");
  // Stored as the same UTF-8 bytes, not double-encoded by a latin1 connection.
  EXPECT_EQ(Root("SELECT CHAR_LENGTH(body), HEX(body) FROM notes"),
            absl::StrCat("10\t", absl::AsciiStrToUpper(absl::BytesToHexString(text)), "\n"));
}

TEST_F(DbTest, SessionsUseUtcAndReadCommitted) {
  EXPECT_EQ(*Scalar(*pool_,
                    "SELECT CONCAT_WS(' ', @@session.time_zone, @@session.tx_isolation, "
                    "@@session.character_set_connection)"),
            "+00:00 READ-COMMITTED utf8mb4");
}

}  // namespace
}  // namespace kam
